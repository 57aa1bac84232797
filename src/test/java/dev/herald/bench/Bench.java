package dev.herald.bench;

import dev.herald.testing.RedisServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Herald's load benchmark (issue 7): starts a real redis-server and Herald on Payara Micro (or targets
 * {@code bench.url}), runs the selected scenarios {@code bench.runs} times, prints one JSON line per
 * scenario run (also appended to target/bench/results.jsonl) and finally one median line per scenario.
 * <p>
 * Run it with {@code ./mvnw -Pbench verify} (see the bench profile in pom.xml for every property), or
 * directly: {@code java -cp <test classpath> dev.herald.bench.Bench} with the same {@code -Dbench.*}
 * system properties.
 */
public final class Bench {

    /** Credentials for publishers and sockets: none today (Herald has no authentication yet). */
    static TokenSource tokenSource = TokenSource.TEST_KEY;

    /** target/bench: results.jsonl, the server's log, thread dumps, JFR recordings. */
    static Path outDir = Path.of("target/bench");

    private Bench() {
    }

    static void log(String message) {
        System.err.println("[bench " + Instant.now().toString().substring(11, 19) + "] " + message);
    }

    // ---- configuration: -Dbench.<key>; an empty value means the default (the Maven profile passes empties) ----

    static String str(String key, String def) {
        String v = System.getProperty("bench." + key);
        return v == null || v.isBlank() ? def : v.trim();
    }

    static int integer(String key, int def) {
        return Integer.parseInt(str(key, String.valueOf(def)));
    }

    static double real(String key, double def) {
        return Double.parseDouble(str(key, String.valueOf(def)));
    }

    static boolean bool(String key, boolean def) {
        return Boolean.parseBoolean(str(key, String.valueOf(def)));
    }

    static List<Integer> ints(String key, String def) {
        return Arrays.stream(str(key, def).split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Integer::valueOf).toList();
    }

    static final List<String> ALL = List.of("unicast", "batch", "latency", "broadcast", "idle", "resume", "slow");

    public static void main(String[] args) throws Exception {
        Path basedir = Path.of(str("basedir", ".")).toAbsolutePath().normalize();
        outDir = basedir.resolve("target/bench");
        Files.createDirectories(outDir);
        List<String> scenarios = str("scenarios", String.join(",", ALL)).equals("all") ? ALL
                : Arrays.stream(str("scenarios", String.join(",", ALL)).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String s : scenarios) {
            if (!ALL.contains(s)) {
                throw new IllegalArgumentException("unknown scenario " + s + "; known: " + ALL);
            }
        }
        int runs = integer("runs", 1);
        log("scenarios " + scenarios + ", runs " + runs + ", client " + str("client", "nio")
                + ", load " + Proc.loadavg() + ", ulimit -n of this JVM: " + maxFiles());
        waitForQuiet(real("quietLoad", 0));

        RedisServer redis = null;
        Herald herald;
        String url = str("url", "");
        if (url.isEmpty()) {
            redis = RedisServer.start();
            log("redis-server on " + redis.uri());
            List<String> jvm = new ArrayList<>(Arrays.stream(str("serverJvmArgs", "").split("\\s+")).filter(s -> !s.isEmpty()).toList());
            if (bool("jfr", false)) {
                jvm.add("-XX:StartFlightRecording=filename=" + outDir.resolve("herald-" + System.currentTimeMillis() + ".jfr")
                        + ",settings=profile,dumponexit=true");
            }
            herald = Herald.start(basedir, redis.uri(), jvm, outDir);
        } else {
            herald = Herald.attach(url, integer("serverPid", -1));
            log("targeting " + herald.base + " (server pid " + herald.pid() + ")");
        }
        long redisPid = redis != null ? Proc.pidListening(redis.port()).orElse(-1) : integer("redisPid", -1);
        Path results = outDir.resolve("results.jsonl");
        boolean allOk = true;
        Map<String, List<Map<String, Object>>> byScenario = new LinkedHashMap<>();
        try (Ws.Client client = Ws.create(str("client", "nio"), integer("nio.threads", 1));
             Publisher publisher = new Publisher(herald.base, tokenSource)) {
            Scenarios s = new Scenarios(herald, redisPid, client, publisher, tokenSource);
            int warmup = integer("warmup", 3000);
            if (warmup > 0) {
                log("warm-up: " + warmup + " unicast notifications (not reported)");
                s.unicast(Math.min(200, integer("unicast.users", 1000)), warmup, 20, "warmup");
            }
            for (int run = 1; run <= runs; run++) {
                for (String name : scenarios) {
                    List<Map<String, Object>> lines = s.run(name, run);
                    for (Map<String, Object> line : lines) {
                        String json = Json.write(line);
                        System.out.println(json);
                        System.out.flush();
                        Files.writeString(results, json + "\n", StandardCharsets.UTF_8,
                                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                        allOk &= !Boolean.FALSE.equals(line.get("ok"));
                        String key = name + (line.containsKey("sockets") && name.equals("broadcast") ? "@" + line.get("sockets") : "");
                        byScenario.computeIfAbsent(key, k -> new ArrayList<>()).add(line);
                    }
                }
            }
            for (Map.Entry<String, List<Map<String, Object>>> e : byScenario.entrySet()) {
                String json = Json.write(median(e.getValue()));
                System.out.println(json);
                Files.writeString(results, json + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } finally {
            herald.close();
            if (redis != null) {
                redis.close();
            }
        }
        if (!allOk && bool("strict", true)) {
            log("a correctness check failed (a line has \"ok\":false): exiting with 3");
            System.exit(3);
        }
        System.exit(0);
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
            if (k.equals("scenario") || k.equals("run") || k.equals("started")) {
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

    /** Polls the 1-minute load every 20 s, up to bench.quietWaitSeconds (600), until it is below {@code threshold} (0: do not wait). */
    static void waitForQuiet(double threshold) {
        if (threshold <= 0) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(integer("quietWaitSeconds", 600));
        while (Proc.load1() >= threshold && System.nanoTime() < deadline) {
            log("load " + Proc.loadavg() + " >= " + threshold + ": waiting 20 s");
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(20));
        }
        log("load " + Proc.loadavg() + (Proc.load1() < threshold ? "" : " (still busy; running anyway)"));
    }

    static String maxFiles() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    return line.substring(26).trim().split("\\s+")[0];
                }
            }
        } catch (IOException e) {
            // unknown
        }
        return "?";
    }

    static String tag() {
        return Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 45), 36);
    }

    static URI ws(Herald herald, String path) {
        return URI.create(herald.base.replaceFirst("^http", "ws") + path);
    }

    static Duration seconds(double s) {
        return Duration.ofMillis((long) (s * 1000));
    }
}
