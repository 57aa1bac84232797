package dev.herald.notification.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Stream;
import dev.herald.problem.entity.BadInputException;
import dev.herald.testing.HostileJson;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile batches: the body is refused whole as bad input (400, or 413 for too many items), or every item is either
 * refused with its index or published as exactly the text posted for its notification.
 */
class HostileBatchTest {

    private static final int MAX_ITEMS = 8;
    private static final int MAX_PAYLOAD = 65_536;
    private static final String CALLER = "publisher";

    @Test
    void everyItemIsPublishedAsPostedOrRefusedWithItsIndex() {
        HostileJson.check("batch", 2000, HostileBatchTest::batch, body -> {
            List<Batch.Item> items;
            try {
                items = Batch.parse(body, MAX_ITEMS, "herald.batch.max-items", MAX_PAYLOAD, CALLER, Instant.now());
            } catch (BadInputException refused) {
                return "refused whole, " + refused.status();
            }
            String text = new String(body, StandardCharsets.UTF_8);
            JsonArray posted = HostileJson.reference(text).map(JsonValue::asJsonArray).orElse(null);
            assertTrue(posted == null || posted.size() == items.size(), text);
            for (int i = 0; i < items.size(); i++) {
                Batch.Item item = items.get(i);
                if (item.publication() == null) {
                    assertTrue(item.detail().startsWith("item " + i + ": "), item.detail());
                    continue;
                }
                String json = item.publication().payload().json();
                assertTrue(text.contains(json), () -> "published as posted: " + json + " in " + text);
                if (posted != null) {
                    assertEquals(posted.getJsonObject(i).get("notification"), HostileJson.reference(json).orElseThrow(), text);
                    JsonObject sent = posted.getJsonObject(i);
                    Stream expected = sent.containsKey("group") ? Stream.group(sent.getString("group")) : Stream.user(sent.getString("userId"));
                    assertEquals(expected, item.publication().stream(), text);
                }
            }
            return items.stream().allMatch(item -> item.publication() != null) ? "all items accepted" : "some items refused";
        });
    }

    @Test
    void numbersSurrogateEscapesAndNestedDuplicateKeysAreNotRewritten() {
        String notification = "{\"n\":-0,\"big\":1e400,\"c\":1.0E+2,\"s\":\"\\ud800\",\"o\":{\"a\":1,\"a\":2}}";
        List<Batch.Item> items = Batch.parse(HostileJson.utf8("[{\"userId\":\"v\",\"notification\":" + notification + "}]"),
                MAX_ITEMS, "herald.batch.max-items", MAX_PAYLOAD, CALLER, Instant.now());
        assertEquals(notification, items.get(0).publication().payload().json());
    }

    @Test
    void anItemThatNamesItsUserTwiceIsRefused() {
        List<Batch.Item> items = Batch.parse(HostileJson.utf8("[{\"userId\":\"a\",\"userId\":\"b\",\"notification\":{}}]"),
                MAX_ITEMS, "herald.batch.max-items", MAX_PAYLOAD, CALLER, Instant.now());
        assertEquals(400, items.get(0).status(), items.toString());
    }

    @Test
    void anItemNamesExactlyOneRecipientAUserOrAGroup() {
        List<Batch.Item> items = Batch.parse(HostileJson.utf8("[" + String.join(",",
                        "{\"group\":\"region:us\",\"notification\":{\"n\":0}}",
                        "{\"userId\":\"region:us\",\"notification\":{\"n\":1}}",
                        "{\"userId\":\"a\",\"group\":\"b\",\"notification\":{}}",
                        "{\"notification\":{}}",
                        "{\"group\":\"bad name\",\"notification\":{}}",
                        "{\"group\":42,\"notification\":{}}",
                        "{\"group\":\"x\",\"group\":\"y\",\"notification\":{}}") + "]"),
                MAX_ITEMS, "herald.batch.max-items", MAX_PAYLOAD, CALLER, Instant.now());
        assertEquals(Stream.group("region:us"), items.get(0).publication().stream());
        assertEquals(Stream.user("region:us"), items.get(1).publication().stream(), "the same name as a user is that user");
        assertEquals(List.of(202, 202, 400, 400, 400, 400, 400), items.stream().map(Batch.Item::status).toList(), items::toString);
        assertEquals("item 2: name exactly one recipient: \"userId\" or \"group\"", items.get(2).detail(), "both");
        assertEquals("item 3: name exactly one recipient: \"userId\" or \"group\"", items.get(3).detail(), "neither");
        assertTrue(items.get(4).detail().startsWith("item 4: group must be 1 to 128 characters"), items.get(4)::detail);
        assertEquals("item 5: \"group\" must be a string", items.get(5).detail());
        assertEquals("item 6: \"group\" appears twice", items.get(6).detail());
    }

    private static byte[] batch(HostileJson hostile) {
        if (hostile.nextInt(5) == 0) {
            return hostile.body();
        }
        List<String> items = new ArrayList<>();
        int count = hostile.nextInt(MAX_ITEMS + 2);
        for (int i = 0; i < count; i++) {
            String user = hostile.anyOf(() -> hostile.oneOf("\"42\"", "\"a\\u0062\"", "\"bad id\"", "42", "null", "\"\""),
                    () -> HostileJson.literal(hostile.anyString(10)));
            items.add(hostile.anyOf(
                    () -> "{\"userId\":" + user + ",\"notification\":" + hostile.object() + "}",
                    () -> "{\"group\":" + user + ",\"notification\":" + hostile.object() + "}",
                    () -> "{\"group\":" + user + ",\"userId\":\"42\",\"notification\":" + hostile.object() + "}",
                    () -> "{\"notification\":" + hostile.object() + ",\"userId\":" + user + ",\"x\":[1]}",
                    () -> "{\"userId\":\"42\",\"notification\":" + hostile.deep() + "}",
                    hostile::object,
                    () -> hostile.oneOf("1", "[]", "\"s\"", "{}")));
        }
        String batch = "[" + String.join(",", items) + "]";
        return hostile.nextInt(2) == 0 ? HostileJson.utf8(batch) : hostile.mutated(batch);
    }
}
