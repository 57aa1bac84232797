package dev.herald.notification.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Notification;
import dev.herald.problem.entity.BadInputException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Herald-Expires on a single publish and "expires" in a batch item, as the boundary reads them. */
class PublishExpiryTest {

    private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");

    @Test
    void theHeaderIsAnExpiryInEpochMillisOrNone() {
        assertEquals(Notification.NEVER, PublishResource.expiresAt(null, null, NOW));
        assertEquals(NOW.plusSeconds(1).toEpochMilli(), PublishResource.expiresAt("PT1S", List.of("PT1S"), NOW));
        assertEquals(Instant.parse("2026-12-03T00:00:00Z").toEpochMilli(),
                PublishResource.expiresAt("2026-12-03T00:00:00Z", List.of("2026-12-03T00:00:00Z"), NOW));
    }

    @Test
    void aMalformedPastNonPositiveOrRepeatedHeaderIsA400() {
        for (String refused : new String[] {"soon", "PT0S", "-PT5M", "2026-12-01T00:00:00Z"}) {
            BadInputException e = assertThrows(BadInputException.class, () -> PublishResource.expiresAt(refused, List.of(refused), NOW));
            assertTrue(e.getMessage().startsWith("the Herald-Expires header is malformed"), e.getMessage());
        }
        BadInputException twice = assertThrows(BadInputException.class,
                () -> PublishResource.expiresAt("PT1M", List.of("PT1M", "PT2M"), NOW));
        assertTrue(twice.getMessage().contains("send one Herald-Expires header"), twice.getMessage());
    }

    @Test
    void aBatchItemsExpiresIsReadAndABadOneRefusesThatItemOnly() {
        String body = """
                [{"userId": "a", "notification": {}, "expires": "PT10M"},
                 {"userId": "b", "notification": {}, "expires": "PT0S"},
                 {"userId": "c", "notification": {}, "expires": 60},
                 {"userId": "d", "notification": {}, "expires": "2026-12-01T00:00:00Z"},
                 {"userId": "e", "notification": {}}]""";
        List<Batch.Item> items = Batch.parse(body.getBytes(StandardCharsets.UTF_8), 10, "herald.batch.max-items", 1000, "publisher", NOW);
        assertEquals(NOW.plus(Duration.ofMinutes(10)).toEpochMilli(), items.get(0).publication().expiresAt());
        for (int refused = 1; refused <= 3; refused++) {
            Batch.Item item = items.get(refused);
            assertNull(item.publication(), "item " + refused);
            assertEquals(400, item.status(), "item " + refused);
            assertTrue(item.detail().startsWith("item " + refused + ": ") && item.detail().contains("expir"), item.detail());
        }
        assertEquals(Notification.NEVER, items.get(4).publication().expiresAt());
    }
}
