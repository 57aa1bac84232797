package dev.herald.notification.entity;

import dev.herald.problem.entity.BadInputException;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParser.Event;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Client JSON, read the same way on every server: strictly UTF-8 (never repaired), nested at most
 * {@link #MAX_DEPTH} deep, and whatever the server's JSON-P implementation throws becomes a
 * {@link BadInputException}. Its parts are handed on as the text that was posted, never re-serialised: a
 * writer would change numbers ({@code -0}, {@code 1e400}), lone surrogates and duplicate keys.
 */
public final class JsonText {

    /**
     * Objects and arrays within each other, counting the outermost. Below every JSON-P implementation's own limit
     * (Parsson fails at 1,000 with a bare RuntimeException; others differ or have none), so that limit is never met.
     */
    public static final int MAX_DEPTH = 64;
    private static final JsonProvider JSON = JsonProvider.provider();
    private static final int MAX_PARSER_MESSAGE = 200;

    private JsonText() {
    }

    /** What a caller sees of each parser event, with the nesting depth after it. */
    @FunctionalInterface
    public interface Visitor {
        void visit(JsonParser parser, Event event, int depth);
    }

    /** One value directly inside an array or object: its key (decoded; null in an array) and its text as posted. */
    public record Part(String key, String text) {
    }

    /** The bytes as text, refused unless they are UTF-8 (RFC 8259) without a byte order mark. */
    public static String utf8(byte[] bytes) {
        if (bytes.length >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB && bytes[2] == (byte) 0xBF) {
            throw new BadInputException("the body starts with a byte order mark: send UTF-8 without one (RFC 8259)");
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isUnderflow() || !(result = decoder.flush(out)).isUnderflow()) {
            throw new BadInputException("the body is not valid UTF-8 (at byte " + in.position() + "); JSON must be UTF-8 (RFC 8259)");
        }
        return out.flip().toString();
    }

    /** Refuses a text with a lone surrogate: it has no UTF-8 form, so it could not be stored as given. */
    public static void checkUnicode(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new BadInputException("the body is not valid Unicode (a lone surrogate at character " + i + ")");
            }
        }
    }

    /**
     * Parses {@code text} as exactly one JSON value, telling {@code visitor} every event; refuses it when it is not
     * JSON, holds more than one value, or nests deeper than {@code maxDepth}.
     */
    public static void read(String text, int maxDepth, Visitor visitor) {
        try (JsonParser parser = JSON.createParser(new StringReader(text))) {
            if (!parser.hasNext()) {
                throw new BadInputException("the body is empty: it must be JSON");
            }
            int depth = 0;
            do {
                Event event = parser.next();
                if (event == Event.START_OBJECT || event == Event.START_ARRAY) {
                    if (++depth > maxDepth) {
                        throw new BadInputException("the body nests objects and arrays deeper than " + maxDepth
                                + " levels, Herald's limit");
                    }
                } else if (event == Event.END_OBJECT || event == Event.END_ARRAY) {
                    depth--;
                }
                visitor.visit(parser, event, depth);
            } while (depth > 0);
            if (parser.hasNext()) {
                throw new BadInputException("the body must hold exactly one JSON value; more follows it");
            }
        } catch (BadInputException e) {
            throw e;
        } catch (RuntimeException e) {
            // The parser's own failures differ per implementation (JsonParsingException, NoSuchElementException,
            // Parsson's bare RuntimeException for depth, IllegalStateException): all of them mean bad input here.
            throw new BadInputException("the body is not valid JSON: " + parserMessage(e));
        }
    }

    private static String parserMessage(RuntimeException e) {
        String message = e.getMessage() == null ? "it ends too early" : e.getMessage();
        return message.length() > MAX_PARSER_MESSAGE ? message.substring(0, MAX_PARSER_MESSAGE) + "…" : message;
    }

    /**
     * The values directly inside {@code container}, an array or object that {@link #read} accepted, each as its
     * posted text. A plain scan, not a parse: it relies on the text being valid JSON already.
     */
    public static List<Part> parts(String container) {
        List<Part> parts = new ArrayList<>();
        int i = skipSpace(container, 0);
        boolean object = container.charAt(i) == '{';
        i = skipSpace(container, i + 1);
        if (container.charAt(i) == '}' || container.charAt(i) == ']') {
            return parts;
        }
        while (true) {
            String key = null;
            if (object) {
                int end = endOfString(container, i);
                key = string(container.substring(i, end));
                i = skipSpace(container, skipSpace(container, end) + 1); // past the colon
            }
            int end = endOfValue(container, i);
            parts.add(new Part(key, container.substring(i, end)));
            i = skipSpace(container, end);
            if (container.charAt(i) != ',') {
                return parts;
            }
            i = skipSpace(container, i + 1);
        }
    }

    /** The value of a JSON string literal, e.g. a key with escapes. */
    public static String string(String literal) {
        try (JsonParser parser = JSON.createParser(new StringReader(literal))) {
            if (parser.next() != Event.VALUE_STRING) {
                throw new BadInputException("expected a JSON string, not " + literal);
            }
            return parser.getString();
        } catch (BadInputException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BadInputException("not a JSON string: " + parserMessage(e));
        }
    }

    /** Without JSON's own whitespace around it (String.strip would also take characters JSON does not allow there). */
    public static String strip(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && isJsonSpace(text.charAt(start))) {
            start++;
        }
        while (end > start && isJsonSpace(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(start, end);
    }

    private static boolean isJsonSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private static int skipSpace(String text, int i) {
        while (i < text.length() && isJsonSpace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int endOfString(String text, int quote) {
        for (int i = quote + 1; ; i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i + 1;
            }
        }
    }

    private static int endOfValue(String text, int start) {
        char first = text.charAt(start);
        if (first == '"') {
            return endOfString(text, start);
        }
        if (first == '{' || first == '[') {
            int depth = 0;
            for (int i = start; ; i++) {
                char c = text.charAt(i);
                if (c == '"') {
                    i = endOfString(text, i) - 1;
                } else if (c == '{' || c == '[') {
                    depth++;
                } else if ((c == '}' || c == ']') && --depth == 0) {
                    return i + 1;
                }
            }
        }
        int i = start;
        while (i < text.length() && ",]} \t\n\r".indexOf(text.charAt(i)) < 0) {
            i++;
        }
        return i;
    }
}
