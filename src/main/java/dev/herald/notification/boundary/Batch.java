package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker.Publication;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParser.Event;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.ClientErrorException;
import jakarta.ws.rs.core.Response;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The body of {@code POST /notify-batch}: a JSON array of {@code {"userId": "42", "notification": {…}}}.
 * Each item is checked on its own, so one bad item is reported with its index instead of failing the rest.
 */
final class Batch {

    private static final JsonProvider JSON = JsonProvider.provider();

    /** One item: what to publish, or why it is refused (an HTTP status and a detail). */
    record Item(Publication publication, int status, String detail) {

        static Item refused(int index, int status, String detail) {
            return new Item(null, status, "item " + index + ": " + detail);
        }
    }

    private Batch() {
    }

    /**
     * Splits the body into items; a body that is not an array of at most {@code maxItems} values is refused
     * whole. {@code maxItemsSetting} names the setting that limits them, for the error.
     */
    static List<Item> parse(byte[] body, int maxItems, String maxItemsSetting, int maxPayloadBytes) {
        List<JsonValue> values = new ArrayList<>();
        try (JsonParser parser = JSON.createParser(new ByteArrayInputStream(body))) {
            if (!parser.hasNext() || parser.next() != Event.START_ARRAY) {
                throw new BadRequestException("the body must be a JSON array of {\"userId\": …, \"notification\": {…}} objects");
            }
            for (Event event = parser.next(); event != Event.END_ARRAY; event = parser.next()) {
                if (values.size() == maxItems) {
                    throw new ClientErrorException("a batch holds at most " + maxItems + " notifications (" + maxItemsSetting + ")",
                            Response.Status.REQUEST_ENTITY_TOO_LARGE);
                }
                values.add(parser.getValue());
            }
            if (parser.hasNext()) {
                throw new BadRequestException("the body must hold exactly one JSON array");
            }
        } catch (JsonException | NoSuchElementException e) {
            throw new BadRequestException("the body is not valid JSON: " + e.getMessage());
        }
        if (values.isEmpty()) {
            throw new BadRequestException("the batch is empty");
        }
        List<Item> items = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            items.add(item(i, values.get(i), maxPayloadBytes));
        }
        return items;
    }

    private static Item item(int index, JsonValue value, int maxPayloadBytes) {
        if (!(value instanceof JsonObject item)) {
            return Item.refused(index, 400, "must be an object {\"userId\": …, \"notification\": {…}}");
        }
        if (!(item.get("userId") instanceof JsonString userId)) {
            return Item.refused(index, 400, "\"userId\" must be a string");
        }
        if (!(item.get("notification") instanceof JsonObject notification)) {
            return Item.refused(index, 400, "\"notification\" must be a JSON object");
        }
        try {
            Stream stream = Stream.user(userId.getString());
            Payload payload = Payload.of(notification);
            if (utf8Length(payload.json(), maxPayloadBytes) > maxPayloadBytes) {
                return Item.refused(index, 413, "the notification is larger than " + maxPayloadBytes + " bytes (herald.max-payload-bytes)");
            }
            return new Item(new Publication(stream, payload), 202, null);
        } catch (IllegalArgumentException e) {
            return Item.refused(index, 400, e.getMessage());
        }
    }

    /** The text's UTF-8 size, encoded only when its length alone cannot tell whether it is within {@code limit}. */
    private static int utf8Length(String text, int limit) {
        return text.length() * 3L <= limit ? text.length() : text.getBytes(StandardCharsets.UTF_8).length;
    }
}
