package dev.herald.notification.entity;

import dev.herald.problem.entity.BadInputException;
import jakarta.json.stream.JsonParser.Event;
import java.util.Set;

/**
 * What a publisher posted: one JSON object, kept as its text so every field reaches clients byte for byte as
 * posted, or refused; never repaired. Validated once, on the way in ({@link JsonText}); {@code id}, {@code ts},
 * {@code stream} and {@code cursor} are Herald's to set (the last two on sockets that carry several streams), and
 * {@code herald} marks a control frame (subprotocol {@code herald.2}), which a notification must never look like.
 */
public final class Payload {

    private static final Set<String> RESERVED = Set.of("id", "ts", "stream", "cursor", "herald");
    private static final String OBJECT_EXAMPLE = "{\"title\":\"Alert\",\"message\":\"Server rebooted\"}";

    private final String json;

    private Payload(String json) {
        this.json = json;
    }

    /** The object's text, as posted (surrounding whitespace removed). */
    public String json() {
        return json;
    }

    /** A posted body's bytes: strict UTF-8, then {@link #parse(String)}. */
    public static Payload parse(byte[] utf8) {
        return parse(JsonText.utf8(utf8));
    }

    /**
     * Validates a posted body: exactly one JSON object, nested at most {@link JsonText#MAX_DEPTH} deep, without
     * top-level {@code id}, {@code ts}, {@code stream}, {@code cursor} or {@code herald}; anything else is a {@link BadInputException} that says what is wrong.
     */
    public static Payload parse(String text) {
        if (text == null || text.isBlank()) {
            throw new BadInputException("the body must be a JSON object, e.g. " + OBJECT_EXAMPLE);
        }
        String object = JsonText.strip(text);
        if (!object.startsWith("{")) {
            throw new BadInputException("the body must be a JSON object, not an array or a single value, e.g. " + OBJECT_EXAMPLE);
        }
        JsonText.checkUnicode(object);
        JsonText.read(object, JsonText.MAX_DEPTH, (parser, event, depth) -> {
            if (event == Event.KEY_NAME && depth == 1) {
                checkNotReserved(parser.getString());
            }
        });
        return new Payload(object);
    }

    private static void checkNotReserved(String key) {
        if (RESERVED.contains(key)) {
            throw new BadInputException("\"" + key + "\" is set by Herald: leave \"id\", \"ts\", \"stream\", \"cursor\" and \"herald\" out of the notification");
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Payload payload && json.equals(payload.json);
    }

    @Override
    public int hashCode() {
        return json.hashCode();
    }

    @Override
    public String toString() {
        return json;
    }
}
