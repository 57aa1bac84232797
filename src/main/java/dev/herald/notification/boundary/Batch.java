package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker.Publication;
import dev.herald.notification.entity.Expiry;
import dev.herald.notification.entity.IdempotencyKey;
import dev.herald.notification.entity.JsonText;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import dev.herald.problem.entity.BadInputException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /notify-batch}: a JSON array of {@code {"userId": "42", "notification": {…}}} (or
 * {@code "group": "region:us"} instead of the userId), each with an optional {@code "idempotencyKey"} and
 * {@code "expires"} (as the {@code Herald-Expires} header: {@link Expiry}).
 * Each item is checked on its own, so one bad item is reported with its index instead of failing the rest; each
 * notification is published as the text posted for it (never re-serialised), like a single publish.
 */
final class Batch {

    private static final String SHAPE = "a JSON array of {\"userId\": …, \"notification\": {…}} objects";

    /** One item: what to publish, or why it is refused (an HTTP status and a detail). */
    record Item(Publication publication, int status, String detail) {

        static Item refused(int index, int status, String detail) {
            return new Item(null, status, "item " + index + ": " + detail);
        }
    }

    private Batch() {
    }

    /**
     * Splits the body into items; a body that is not UTF-8 {@value SHAPE}, at most {@code maxItems} of them and
     * nested at most {@link JsonText#MAX_DEPTH} deep within each notification, is refused whole (400, or 413 for
     * too many items). {@code maxItemsSetting} names the setting that limits them, for the error; {@code caller} is
     * whose idempotency keys the items' are; {@code now} what the items' expiry durations count from.
     */
    static List<Item> parse(byte[] body, int maxItems, String maxItemsSetting, int maxPayloadBytes, String caller, Instant now) {
        String text = JsonText.strip(JsonText.utf8(body));
        if (!text.startsWith("[")) {
            throw new BadInputException("the body must be " + SHAPE);
        }
        // the array and the item objects are two levels above each notification
        JsonText.read(text, JsonText.MAX_DEPTH + 2, (parser, event, depth) -> { });
        List<JsonText.Part> values = JsonText.parts(text);
        if (values.size() > maxItems) {
            throw BadInputException.tooLarge("a batch holds at most " + maxItems + " notifications (" + maxItemsSetting + ")");
        }
        if (values.isEmpty()) {
            throw new BadInputException("the batch is empty");
        }
        List<Item> items = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            items.add(item(i, values.get(i).text(), maxPayloadBytes, caller, now));
        }
        return items;
    }

    private static Item item(int index, String value, int maxPayloadBytes, String caller, Instant now) {
        if (!value.startsWith("{")) {
            return Item.refused(index, 400, "must be an object {\"userId\": …, \"notification\": {…}}");
        }
        Map<String, String> fields = new HashMap<>();
        for (JsonText.Part part : JsonText.parts(value)) {
            if (fields.put(part.key(), part.text()) != null) {
                // parsers disagree on which of two equal keys wins: the recipient must not depend on which one reads it
                return Item.refused(index, 400, "\"" + part.key() + "\" appears twice");
            }
        }
        if (fields.containsKey("userId") == fields.containsKey("group")) {
            return Item.refused(index, 400, "name exactly one recipient: \"userId\" or \"group\"");
        }
        boolean toGroup = fields.containsKey("group");
        String recipient = fields.get(toGroup ? "group" : "userId");
        if (!recipient.startsWith("\"")) {
            return Item.refused(index, 400, "\"" + (toGroup ? "group" : "userId") + "\" must be a string");
        }
        String notification = fields.get("notification");
        if (notification == null || !notification.startsWith("{")) {
            return Item.refused(index, 400, "\"notification\" must be a JSON object");
        }
        String key = fields.get("idempotencyKey");
        if (key != null && !key.startsWith("\"")) {
            return Item.refused(index, 400, "\"idempotencyKey\" must be a string");
        }
        String expires = fields.get("expires");
        if (expires != null && !expires.startsWith("\"")) {
            return Item.refused(index, 400, "\"expires\" must be a string: an ISO-8601 duration (PT10M) or instant");
        }
        try {
            Stream stream = toGroup ? Stream.group(JsonText.string(recipient)) : Stream.user(JsonText.string(recipient));
            if (utf8Length(notification, maxPayloadBytes) > maxPayloadBytes) {
                return Item.refused(index, 413, "the notification is larger than " + maxPayloadBytes + " bytes (herald.max-payload-bytes)");
            }
            IdempotencyKey idempotencyKey = key == null ? null : new IdempotencyKey(caller, JsonText.string(key));
            long expiresAt = expires == null ? Notification.NEVER : Expiry.parse(JsonText.string(expires), now).toEpochMilli();
            return new Item(new Publication(stream, Payload.parse(notification), idempotencyKey, expiresAt), 202, null);
        } catch (BadInputException e) {
            return Item.refused(index, 400, e.getMessage());
        }
    }

    /** The text's UTF-8 size, encoded only when its length alone cannot tell whether it is within {@code limit}. */
    private static int utf8Length(String text, int limit) {
        return text.length() * 3L <= limit ? text.length() : text.getBytes(StandardCharsets.UTF_8).length;
    }
}
