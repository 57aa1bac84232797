package dev.herald.testing;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.util.function.Function;

/** JSON text as the tests receive it (frames, bodies); what does not parse fails the test and shows the text. */
public final class JsonText {

    private JsonText() {
    }

    public static JsonObject object(String text) {
        return parse(text, JsonReader::readObject);
    }

    public static JsonArray array(String text) {
        return parse(text, JsonReader::readArray);
    }

    public static JsonValue value(String text) {
        return parse(text, JsonReader::readValue);
    }

    private static <T> T parse(String text, Function<JsonReader, T> read) {
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            return read.apply(reader);
        } catch (JsonException | IllegalStateException e) {
            throw new AssertionError("not the JSON expected: " + text, e);
        }
    }
}
