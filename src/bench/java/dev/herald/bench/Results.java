package dev.herald.bench;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result lines: one JSON object per scenario run and one median line per scenario, printed on stdout and
 * appended to {@code target/bench/results.jsonl}. Numbers keep the file's format: NaN is null, a whole double
 * is written as an integer, others with 1 decimal from 100 up and 3 below.
 */
final class Results {

    private final Path file;

    Results(Path dir) {
        this.file = dir.resolve("results.jsonl");
    }

    /** Prints the line and appends it to results.jsonl. */
    void add(Map<String, Object> line) {
        String json = json(line);
        System.out.println(json);
        System.out.flush();
        try {
            Files.writeString(file, json + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String json(Map<String, ?> line) {
        return object(line).build().toString();
    }

    private static JsonObjectBuilder object(Map<?, ?> map) {
        JsonObjectBuilder object = Json.createObjectBuilder();
        map.forEach((k, v) -> object.add(String.valueOf(k), value(v)));
        return object;
    }

    private static JsonValue value(Object value) {
        if (value == null) {
            return JsonValue.NULL;
        } else if (value instanceof Map<?, ?> map) {
            return object(map).build();
        } else if (value instanceof Collection<?> list) {
            JsonArrayBuilder array = Json.createArrayBuilder();
            list.forEach(item -> array.add(value(item)));
            return array.build();
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return JsonValue.NULL;
            } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Json.createValue((long) d);
            }
            return Json.createValue(BigDecimal.valueOf(d).setScale(Math.abs(d) >= 100 ? 1 : 3, RoundingMode.HALF_UP));
        } else if (value instanceof Number n) {
            return Json.createValue(n.longValue());
        } else if (value instanceof Boolean b) {
            return b ? JsonValue.TRUE : JsonValue.FALSE;
        }
        return Json.createValue(value.toString());
    }

    /** The median of every numeric field over the runs; other fields from the first run. */
    static Map<String, Object> median(List<Map<String, Object>> lines) {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> first = lines.get(0);
        m.put("scenario", first.get("scenario"));
        m.put("summary", "median");
        m.put("runs", lines.size());
        for (Map.Entry<String, Object> e : first.entrySet()) {
            String k = e.getKey();
            if (k.equals("scenario") || k.equals("summary") || k.equals("run") || k.equals("started")) {
                continue;
            }
            if (e.getValue() instanceof Number) {
                double[] values = lines.stream().map(l -> l.get(k)).filter(v -> v instanceof Number)
                        .mapToDouble(v -> ((Number) v).doubleValue()).filter(d -> !Double.isNaN(d)).sorted().toArray();
                m.put(k, values.length == 0 ? Double.NaN
                        : values.length % 2 == 1 ? values[values.length / 2] : (values[values.length / 2 - 1] + values[values.length / 2]) / 2);
            } else if (e.getValue() instanceof Boolean) {
                m.put(k, lines.stream().allMatch(l -> Boolean.TRUE.equals(l.get(k))));
            } else if (!(e.getValue() instanceof List)) {
                m.put(k, e.getValue());
            }
        }
        return m;
    }
}
