package dev.herald.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/** Herald's series in a server's Prometheus text ({@code /metrics?scope=application}), for assertions. */
public final class HeraldMetrics {

    private HeraldMetrics() {
    }

    /** GETs {@code uri} (asserting 200, no token) and {@link #parse parses} it. */
    public static Map<String, Double> scrape(URI uri) {
        Http.Reply reply = Http.get(uri, null);
        assertEquals(200, reply.status(), reply::toString);
        return parse(reply.body());
    }

    /** Scrapes {@code uri} until {@code condition} holds, failing with the last scrape after {@code timeout}. */
    public static Map<String, Double> await(URI uri, String what, Duration timeout, Predicate<Map<String, Double>> condition) {
        Instant deadline = Instant.now().plus(timeout);
        Map<String, Double> current = scrape(uri);
        while (!condition.test(current)) {
            if (Instant.now().isAfter(deadline)) {
                fail("metrics never showed " + what + " within " + timeout + ": " + current);
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            current = scrape(uri);
        }
        return current;
    }

    /** How much {@code series} grew from {@code before} (absent: 0) to {@code after} (where it must be). */
    public static double delta(Map<String, Double> before, Map<String, Double> after, String series) {
        assertTrue(after.containsKey(series), () -> "no series " + series + " in " + after);
        return after.get(series) - before.getOrDefault(series, 0.0);
    }

    /**
     * Series name plus labels to value, for lines starting {@code herald_}: without the {@code mp_scope} label and in
     * one spelling (Open Liberty writes {@code name{}} and {@code {kind="user",}} where Payara writes {@code name}
     * and {@code {kind="user"}}).
     */
    public static Map<String, Double> parse(String prometheusText) {
        Map<String, Double> series = new TreeMap<>();
        for (String line : prometheusText.split("\n")) {
            if (line.startsWith("herald_")) {
                int space = line.lastIndexOf(' ');
                String name = line.substring(0, space).replace("mp_scope=\"application\",", "")
                        .replace(",mp_scope=\"application\"", "").replace("{mp_scope=\"application\"}", "")
                        .replace(",}", "}").replace("{}", "");
                series.put(name, Double.parseDouble(line.substring(space + 1)));
            }
        }
        return series;
    }
}
