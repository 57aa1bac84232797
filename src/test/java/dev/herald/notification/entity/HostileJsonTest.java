package dev.herald.notification.entity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.problem.entity.BadInputException;
import dev.herald.security.entity.UserId;
import dev.herald.testing.HostileJson;
import jakarta.json.JsonValue;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Properties of the parsing entities under hostile input: every input ends as a value that re-serialises to exactly
 * the posted text, or as a {@link BadInputException}; never anything else (a failure of the JSON parser itself, a
 * repaired text). Each prints how many inputs it tried and how they ended.
 */
class HostileJsonTest {

    @Test
    void aPostedBodyIsKeptByteForByteOrRefusedAsBadInput() {
        HostileJson.check("payload bytes", 3000, HostileJson::body, body -> {
            try {
                Payload payload = Payload.parse(body);
                assertArrayEquals(HostileJson.utf8(JsonText.strip(new String(body, StandardCharsets.UTF_8))),
                        payload.json().getBytes(StandardCharsets.UTF_8), () -> "stored as posted: " + payload);
                HostileJson.reference(payload.json()).map(JsonValue::asJsonObject).ifPresent(object ->
                        assertFalse(object.containsKey("id") || object.containsKey("ts"), () -> "reserved keys refused: " + payload));
                return "accepted";
            } catch (BadInputException refused) {
                assertFalse(refused.getMessage().isBlank(), "a refusal says why");
                return "refused";
            }
        });
    }

    @Test
    void anyTextIsKeptExactlyOrRefusedAsBadInput() {
        HostileJson.check("payload text", 1000, hostile -> hostile.anyOf(() -> hostile.anyString(40), hostile::object,
                () -> hostile.object().replace("\"a\"", "\"\uD800\"")), text -> {
            try {
                Payload payload = Payload.parse(text);
                assertEquals(JsonText.strip(text), payload.json());
                assertEquals(payload.json(), new String(payload.json().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8),
                        "what is kept has a UTF-8 form: it is stored and sent unchanged");
                return "accepted";
            } catch (BadInputException refused) {
                return "refused";
            }
        });
    }

    @Test
    void anIdOrCursorDenotesExactlyTheDigitsPostedOrIsRefused() {
        HostileJson.check("cursor", 1000, hostile -> hostile.anyOf(() -> hostile.anyString(45), () -> hostile.from("0123456789-+ ", 45),
                () -> String.valueOf(hostile.nextLong() & Long.MAX_VALUE),
                () -> hostile.oneOf("9223372036854775807-9223372036854775807", "9223372036854775808-0", "0-9223372036854775808",
                        "18446744073709551615-1", "00000000000000000001-0", "1--1", "-1", "1-", "\u0663-0", "\uFF11-0", "")), text -> {
            try {
                NotificationId id = NotificationId.parse(text);
                String[] parts = text.split("-", -1);
                assertEquals(new BigInteger(parts[0]), BigInteger.valueOf(id.millis()), text);
                assertEquals(parts.length == 1 ? BigInteger.ZERO : new BigInteger(parts[1]), BigInteger.valueOf(id.sequence()), text);
                assertEquals(id, NotificationId.parse(id.toString()), "its text reads back as the same id");
                return "accepted";
            } catch (BadInputException refused) {
                return "refused";
            }
        });
    }

    @Test
    void aUserIdIsTakenUnchangedOrRefused() {
        HostileJson.check("userId", 1000, hostile -> hostile.anyOf(() -> hostile.anyString(140),
                () -> hostile.from("Aa0._@:-/%+ \u0130\u212A", 130),
                () -> hostile.from("Aa0._@:-", 130)), text -> {
            try {
                assertEquals(text, UserId.check(text));
                assertEquals(text, Stream.user(text).userId());
                assertEquals(Stream.user(text), Stream.named(Stream.user(text).name()));
                return "accepted";
            } catch (BadInputException refused) {
                return "refused";
            }
        });
    }

    @Test
    void theIssuesTableIsRefusedWithTheLimitOrTheEncodingNamed() {
        String deepObject = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);
        String deepArray = "{\"x\":" + "[".repeat(20_000) + "]".repeat(20_000) + "}";
        assertTrue(refusal(HostileJson.utf8(deepObject)).contains("deeper than " + JsonText.MAX_DEPTH), refusal(HostileJson.utf8(deepObject)));
        assertTrue(refusal(HostileJson.utf8(deepArray)).contains("deeper than " + JsonText.MAX_DEPTH), refusal(HostileJson.utf8(deepArray)));
        assertTrue(refusal(HostileJson.utf8("[".repeat(30_000) + "]".repeat(30_000))).contains("must be a JSON object"));
        assertTrue(refusal(new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xFF, (byte) 0xFE, '"', '}'}).contains("not valid UTF-8"));
    }

    @Test
    void nestingUpToTheLimitIsAccepted() {
        String atLimit = "{\"a\":".repeat(JsonText.MAX_DEPTH - 1) + "[]" + "}".repeat(JsonText.MAX_DEPTH - 1);
        assertEquals(atLimit, Payload.parse(atLimit).json());
        assertTrue(refusal(HostileJson.utf8("{\"a\":" + atLimit + "}")).contains("deeper than"));
    }

    private static String refusal(byte[] body) {
        try {
            return "accepted: " + Payload.parse(body);
        } catch (BadInputException refused) {
            return refused.getMessage();
        }
    }
}
