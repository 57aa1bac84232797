package dev.herald.testing;

import jakarta.json.Json;
import jakarta.json.JsonReader;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a hostile client posts, generated from a seed: arbitrary bytes and strings, and nearly-valid JSON (deep
 * nesting, huge numbers, long strings, invalid UTF-8, lone surrogates, duplicate and reserved keys, byte order
 * marks, NUL). Shared by the property tests of the parsing entities and by the fuzz pass against the deployed WAR;
 * {@link #check} runs a property over many generated inputs and prints how each one ended.
 * <p>
 * Reproduce a run with {@code -Dhostile.seed=<the seed it printed>}.
 */
public final class HostileJson {

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    /** Byte sequences that are not UTF-8: stray bytes, an overlong NUL, an encoded surrogate (CESU-8), a cut sequence. */
    private static final List<byte[]> NOT_UTF8 = List.of(new byte[]{(byte) 0xFF}, new byte[]{(byte) 0xFE, (byte) 0xFF},
            new byte[]{(byte) 0xC0, (byte) 0x80}, new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            new byte[]{(byte) 0xE2, (byte) 0x82}, new byte[]{(byte) 0x80}, new byte[]{(byte) 0xF5, (byte) 0x80, (byte) 0x80, (byte) 0x80});
    private static final List<String> KEYS = List.of("\"title\"", "\"a\"", "\"a\"", "\"id\"", "\"ts\"", "\"\\u0069d\"", "\"\"", "\"userId\"");
    private static final List<String> HOSTILE_STRINGS = List.of("\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\ud83d\\ude00\"",
            "\"\\u0000\"", "\"\\uZZZZ\"", "\"\\x41\"", "\"tab\there\"", "\"é€😀\"", "\"\u0000\"", "\"\\\"");
    private static final List<String> ODD_NUMBERS = List.of("-0", "0.0", "1e400", "-1E-400", "1.0E+2", "1.50", "01", "1.", ".5",
            "+1", "NaN", "Infinity", "0x10", "1e", "--1");
    private static final String PUNCTUATION = "{}[]\":,\\-0123456789 tfnue.";
    private static final JsonReaderFactory READERS = Json.createReaderFactory(Map.of("org.eclipse.parsson.maxBigDecimalLength", 10_000_000));

    private final Random random;

    public HostileJson(Random random) {
        this.random = random;
    }

    /** The outcome of one input: a short label counted in the summary line ("accepted", "refused", "400" …). */
    @FunctionalInterface
    public interface Property<T> {
        String check(T input) throws Exception;
    }

    /**
     * Tries {@code property} on {@code tries} inputs from {@code generator}, prints
     * {@code property <name>: <tries> inputs (seed <seed>): <label> <count>, …}, and fails with the first input
     * whose check throws (shown with the seed that reproduces it).
     */
    public static <T> void check(String name, int tries, Function<HostileJson, T> generator, Property<T> property) {
        long seed = Long.getLong("hostile.seed", new Random().nextLong());
        HostileJson hostile = new HostileJson(new Random(seed));
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int i = 0; i < tries; i++) {
            T input = generator.apply(hostile);
            try {
                outcomes.merge(property.check(input), 1, Integer::sum);
            } catch (Throwable failure) {
                throw new AssertionError("property " + name + " fails for input #" + i + " (-Dhostile.seed=" + seed + "): "
                        + show(input), failure);
            }
        }
        System.out.println("property " + name + ": " + tries + " inputs (seed " + seed + "): " + outcomes);
    }

    /** An input as a failure message shows it: escaped, and cut if long. */
    public static String show(Object input) {
        String text = input instanceof byte[] bytes ? new String(bytes, StandardCharsets.ISO_8859_1) : String.valueOf(input);
        StringBuilder shown = new StringBuilder();
        text.codePoints().limit(300).forEach(c -> shown.append(c >= 0x20 && c < 0x7F ? Character.toString(c) : String.format("\\u%04x", c)));
        return shown + (text.length() > 300 ? "… (" + text.length() + " characters)" : "");
    }

    /** Any of the kinds below, as the bytes of a request body. */
    public byte[] body() {
        return switch (random.nextInt(10)) {
            case 0 -> bytes(64);
            case 1 -> utf8(anyString(64));
            case 2, 3, 4 -> utf8(object());
            case 5 -> utf8(deep());
            default -> mutated(object());
        };
    }

    /** JSON objects, valid or nearly: keys include duplicates and Herald's reserved ones, values every JSON kind. */
    public String object() {
        return object(3);
    }

    /** Objects holding objects or arrays nested from 1 to 30,000 deep; most near Herald's limit. */
    public String deep() {
        int depth = switch (random.nextInt(5)) {
            case 0 -> 1 + random.nextInt(2_000);
            case 1 -> List.of(10_000, 20_000, 30_000).get(random.nextInt(3));
            default -> 60 + random.nextInt(9);
        };
        String open = List.of("[", "{\"a\":", "{\"a\":[").get(random.nextInt(3));
        String close = open.equals("[") ? "]" : open.equals("{\"a\":") ? "}" : "]}";
        String inner = open.repeat(depth) + "1" + close.repeat(depth);
        return switch (random.nextInt(3)) {
            case 0 -> "{\"a\":" + inner + "}";
            case 1 -> inner;
            default -> "{\"x\":" + inner + ",\"y\":2}";
        };
    }

    /** Valid-looking JSON text turned hostile at a random place: a byte inserted, removed or replaced, a BOM, a cut. */
    public byte[] mutated(String text) {
        byte[] bytes = utf8(text);
        int at = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
        return switch (random.nextInt(8)) {
            case 0 -> concat(BOM, bytes);
            case 1 -> insert(bytes, at, NOT_UTF8.get(random.nextInt(NOT_UTF8.size())));
            case 2 -> insert(bytes, at, new byte[]{0});
            case 3 -> insert(bytes, at, new byte[]{(byte) random.nextInt(256)});
            case 4 -> concat(Arrays.copyOf(bytes, at), Arrays.copyOfRange(bytes, Math.min(at + 1, bytes.length), bytes.length));
            case 5 -> Arrays.copyOf(bytes, at);
            case 6 -> concat(bytes, utf8(" " + text));
            default -> insert(bytes, at, utf8("\\ud800"));
        };
    }

    /** Up to {@code max} random bytes. */
    public byte[] bytes(int max) {
        byte[] bytes = new byte[random.nextInt(max + 1)];
        random.nextBytes(bytes);
        return bytes;
    }

    /** Up to {@code max} characters of any kind: controls, non-ASCII, unpaired surrogates, JSON punctuation. */
    public String anyString(int max) {
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(max + 1);
        for (int i = 0; i < length; i++) {
            text.append(switch (random.nextInt(6)) {
                case 0 -> (char) random.nextInt(0x20);
                case 1 -> (char) (0xD800 + random.nextInt(0x800));
                case 2 -> (char) random.nextInt(0x10000);
                case 3 -> PUNCTUATION.charAt(random.nextInt(PUNCTUATION.length()));
                default -> (char) (0x20 + random.nextInt(0x5F));
            });
        }
        return text.toString();
    }

    /** Up to {@code max} characters drawn from {@code alphabet}. */
    public String from(String alphabet, int max) {
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(max + 1);
        for (int i = 0; i < length; i++) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return text.toString();
    }

    /** One of {@code choices}, evenly. */
    @SafeVarargs
    public final <T> T oneOf(T... choices) {
        return choices[random.nextInt(choices.length)];
    }

    /** One of the suppliers' values, evenly. */
    @SafeVarargs
    public final <T> T anyOf(Supplier<T>... choices) {
        return choices[random.nextInt(choices.length)].get();
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    public long nextLong() {
        return random.nextLong();
    }

    private String object(int depth) {
        int members = random.nextInt(5);
        StringBuilder json = new StringBuilder("{");
        for (int i = 0; i < members; i++) {
            json.append(i == 0 ? "" : ",").append(random.nextInt(3) == 0 ? literal(anyString(6)) : KEYS.get(random.nextInt(KEYS.size())))
                    .append(':').append(value(depth));
        }
        return json.append('}').toString();
    }

    private String array(int depth) {
        int values = random.nextInt(5);
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < values; i++) {
            json.append(i == 0 ? "" : ",").append(value(depth));
        }
        return json.append(']').toString();
    }

    private String value(int depth) {
        int kind = random.nextInt(depth <= 0 ? 3 : 5);
        return switch (kind) {
            case 0 -> string();
            case 1 -> number();
            case 2 -> oneOf("true", "false", "null");
            case 3 -> object(depth - 1);
            default -> array(depth - 1);
        };
    }

    /** String literals: any characters (escaped as a writer would, lone surrogates left raw), hostile escapes, rarely long ones. */
    private String string() {
        return switch (random.nextInt(10)) {
            case 0 -> HOSTILE_STRINGS.get(random.nextInt(HOSTILE_STRINGS.size()));
            case 2 -> "\"" + "x".repeat(1_000 + random.nextInt(5_000)) + "\"";
            default -> literal(anyString(12));
        };
    }

    private String number() {
        return switch (random.nextInt(8)) {
            case 0 -> ODD_NUMBERS.get(random.nextInt(ODD_NUMBERS.size()));
            case 1 -> "9".repeat(20 + random.nextInt(3_000));
            default -> String.valueOf(random.nextLong());
        };
    }

    /** A JSON string literal for any text, escaped the way JSON writers do (lone surrogates stay as they are). */
    public static String literal(String text) {
        StringBuilder json = new StringBuilder("\"");
        text.chars().forEach(c -> {
            if (c == '"' || c == '\\') {
                json.append('\\').append((char) c);
            } else if (c < 0x20) {
                json.append(String.format("\\u%04x", c));
            } else {
                json.append((char) c);
            }
        });
        return json.append('"').toString();
    }

    /**
     * What a JSON reader other than Herald's makes of {@code json}: the tests' oracle. Herald never reads numbers, the
     * reader does: Parsson's limit on their length is lifted, and a text with a number no BigDecimal holds (an exponent
     * of more than ten digits) is valid JSON the oracle cannot judge (empty).
     */
    public static Optional<JsonValue> reference(String json) {
        try (JsonReader reader = READERS.createReader(new StringReader(json))) {
            return Optional.of(reader.readValue());
        } catch (NumberFormatException | ArithmeticException e) {
            return Optional.empty();
        }
    }

    public static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] insert(byte[] bytes, int at, byte[] inserted) {
        return concat(concat(Arrays.copyOf(bytes, at), inserted), Arrays.copyOfRange(bytes, at, bytes.length));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }
}
