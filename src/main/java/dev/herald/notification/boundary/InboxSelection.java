package dev.herald.notification.boundary;

import dev.herald.notification.entity.JsonText;
import dev.herald.notification.entity.NotificationId;
import dev.herald.problem.entity.BadInputException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The body of a mark ({@code POST /inbox/{userId}/read} and its siblings): {@code {"ids": ["<id>", …]}} or
 * {@code {"upTo": "<id>"}}, exactly one of the two. Anything else is refused rather than guessed at: a misspelt field
 * ignored would mark nothing and still answer 200.
 *
 * @param ids  the ids to mark, or empty with {@code upTo}
 * @param upTo the id to mark up to and including, or null with {@code ids}
 */
record InboxSelection(List<NotificationId> ids, NotificationId upTo) {

    private static final String SHAPE = "{\"ids\": [\"<id>\", …]} or {\"upTo\": \"<id>\"}";
    private static final Set<String> FIELDS = Set.of("ids", "upTo");
    /** The object and its ids array. */
    private static final int DEPTH = 2;

    /** The largest body that can hold {@code maxIds} ids: each at most 41 characters, quoted, with a comma and some space. */
    static int maxBytes(int maxIds) {
        return 1024 + 64 * maxIds;
    }

    /** The selection in a UTF-8 body; more than {@code maxIds} ids is a 413, any other mistake a 400. */
    static InboxSelection parse(byte[] body, int maxIds) {
        String text = JsonText.strip(JsonText.utf8(body));
        if (!text.startsWith("{")) {
            throw new BadInputException("the body must be " + SHAPE);
        }
        JsonText.read(text, DEPTH, (parser, event, depth) -> { });
        Map<String, String> fields = new HashMap<>();
        for (JsonText.Part part : JsonText.parts(text)) {
            if (!FIELDS.contains(part.key())) {
                throw new BadInputException("the body holds a field other than \"ids\" and \"upTo\": send " + SHAPE);
            }
            if (fields.put(part.key(), part.text()) != null) {
                throw new BadInputException("\"" + part.key() + "\" appears twice");
            }
        }
        if (fields.size() != 1) {
            throw new BadInputException("send exactly one of \"ids\" and \"upTo\": " + SHAPE);
        }
        String upTo = fields.get("upTo");
        if (upTo != null) {
            return new InboxSelection(List.of(), id("upTo", upTo));
        }
        String ids = fields.get("ids");
        if (!ids.startsWith("[")) {
            throw new BadInputException("\"ids\" must be an array of ids: " + SHAPE);
        }
        List<JsonText.Part> items = JsonText.parts(ids);
        if (items.isEmpty()) {
            throw new BadInputException("\"ids\" is empty: name at least one id");
        }
        if (items.size() > maxIds) {
            throw BadInputException.tooLarge("at most " + maxIds + " ids at once (herald.history.size), not " + items.size());
        }
        return new InboxSelection(items.stream().map(item -> id("ids", item.text())).toList(), null);
    }

    private static NotificationId id(String field, String literal) {
        if (!literal.startsWith("\"")) {
            throw new BadInputException("\"" + field + "\" takes ids as strings, e.g. \"1795521056811-0\"");
        }
        try {
            return NotificationId.parse(JsonText.string(literal));
        } catch (BadInputException e) {
            throw new BadInputException(field + ": " + e.getMessage());
        }
    }
}
