package dev.herald.notification.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.NotificationId;
import dev.herald.problem.entity.BadInputException;
import dev.herald.testing.HostileJson;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile mark bodies: refused as bad input (400, or 413 for too many ids), or read as exactly what a reference JSON
 * parser reads: one of "ids" (each a well-formed id) and "upTo", nothing else.
 */
class HostileSelectionTest {

    private static final int MAX_IDS = 5;

    @Test
    void aSelectionIsReadAsPostedOrRefusedAsBadInput() {
        HostileJson.check("inbox selection", 2000, HostileSelectionTest::selection, body -> {
            InboxSelection selection;
            try {
                selection = InboxSelection.parse(body, MAX_IDS);
            } catch (BadInputException refused) {
                assertTrue(refused.status() == 400 || refused.status() == 413, refused::toString);
                return "refused " + refused.status();
            }
            String text = new String(body, StandardCharsets.UTF_8);
            JsonObject posted = HostileJson.reference(text).map(JsonValue::asJsonObject).orElseThrow();
            assertEquals(1, posted.size(), text);
            if (selection.upTo() != null) {
                assertEquals(NotificationId.parse(posted.getString("upTo")), selection.upTo(), text);
                return "upTo";
            }
            List<NotificationId> ids = posted.getJsonArray("ids").getValuesAs(JsonString.class).stream()
                    .map(id -> NotificationId.parse(id.getString())).toList();
            assertEquals(ids, selection.ids(), text);
            assertTrue(!ids.isEmpty() && ids.size() <= MAX_IDS, text);
            return "ids";
        });
    }

    @Test
    void exactlyOneOfIdsAndUpToAndNoOtherField() {
        assertEquals(List.of(NotificationId.parse("1-0"), NotificationId.parse("2-5")),
                InboxSelection.parse(HostileJson.utf8(" {\"ids\": [\"1-0\", \"2-5\"]} "), MAX_IDS).ids());
        assertNotNull(InboxSelection.parse(HostileJson.utf8("{\"upTo\":\"7\"}"), MAX_IDS).upTo());
        for (String bad : List.of("{}", "{\"ids\":[\"1-0\"],\"upTo\":\"1-0\"}", "{\"ids\":[]}", "{\"ids\":[\"1-0\"],\"x\":1}",
                "{\"upTo\":\"1-0\",\"upTo\":\"2-0\"}", "{\"upTo\":1}", "[\"1-0\"]", "{\"ids\":[[\"1-0\"]]}", "")) {
            assertEquals(400, assertThrows(BadInputException.class, () -> InboxSelection.parse(HostileJson.utf8(bad), MAX_IDS),
                    bad).status(), bad);
        }
        assertEquals(413, assertThrows(BadInputException.class, () -> InboxSelection.parse(
                HostileJson.utf8("{\"ids\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\"]}"), MAX_IDS)).status());
    }

    private static byte[] selection(HostileJson hostile) {
        if (hostile.nextInt(5) == 0) {
            return hostile.body();
        }
        List<String> ids = new ArrayList<>();
        for (int i = hostile.nextInt(MAX_IDS + 2); i > 0; i--) {
            ids.add(hostile.anyOf(() -> HostileJson.literal(hostile.nextInt(1000) + "-" + hostile.nextInt(3)),
                    () -> HostileJson.literal(hostile.from("0123456789-", 12)), () -> HostileJson.literal(hostile.anyString(8)),
                    () -> String.valueOf(hostile.nextInt(9)), hostile::object));
        }
        String idList = "\"ids\":[" + String.join(",", ids) + "]";
        String upTo = "\"upTo\":" + HostileJson.literal(hostile.from("0123456789-", 12));
        String selection = "{" + hostile.oneOf(idList, idList, upTo, idList + "," + upTo, "", idList + "," + idList, "\"id\":[]") + "}";
        return hostile.nextInt(4) == 0 ? hostile.mutated(selection) : HostileJson.utf8(selection);
    }
}
