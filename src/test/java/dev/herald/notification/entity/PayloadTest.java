package dev.herald.notification.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PayloadTest {

    @Test
    void keepsThePostedObjectAsItsText() {
        assertEquals("{\"title\":\"Alert\", \"n\": 1.50}", Payload.parse("  {\"title\":\"Alert\", \"n\": 1.50}\n").json());
    }

    @Test
    void nestedIdAndTsAreThePublishersOwn() {
        assertEquals("{\"order\":{\"id\":7,\"ts\":1}}", Payload.parse("{\"order\":{\"id\":7,\"ts\":1}}").json());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "[1]", "\"text\"", "42", "null", "{", "{\"a\":1}{}", "{\"a\":1} x", "{a:1}",
            "{\"id\":\"mine\"}", "{\"title\":\"x\",\"ts\":\"now\"}",
            "{\"herald\":\"counts\",\"unread\":0}"})
    void refusesWhatIsNotOneJsonObjectOrSetsReservedFields(String body) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Payload.parse(body), body);
        assertTrue(error.getMessage().length() > 10, "the message says what is wrong: " + error.getMessage());
    }

    @Test
    void frameIsThePostedObjectWithIdAndTsInFront() {
        Notification n = Notification.of(Stream.user("42"), NotificationId.parse("1732450000123-4"), "{\"title\":\"Alert\"}");
        assertEquals("{\"id\":\"1732450000123-4\",\"ts\":\"2024-11-24T12:06:40.123Z\",\"title\":\"Alert\"}", n.frame());
    }

    @Test
    void frameOfAnEmptyObjectIsStillValidJson() {
        Notification n = Notification.of(Stream.BROADCAST, NotificationId.parse("1000-0"), "{ }");
        assertEquals("{\"id\":\"1000-0\",\"ts\":\"1970-01-01T00:00:01.000Z\"}", n.frame());
    }
}
