package dev.herald.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    private Bench() {
    }

    static void log(String message) {
        System.err.println("[bench " + Instant.now().toString().substring(11, 19) + "] " + message);
    }

    public static void main(String[] args) throws IOException {
        BenchConfig config = BenchConfig.fromSystemProperties();
        Files.createDirectories(config.outDir());
        log("scenarios " + config.scenarios() + ", runs " + config.runs() + ", client " + config.client()
                + ", auth " + config.auth() + ", load " + Proc.loadavg() + ", ulimit -n of this JVM: " + maxFiles());
        waitForQuiet(config);
        Results results = new Results(config.outDir());
        boolean allOk = true;
        Map<String, List<Map<String, Object>>> byScenario = new LinkedHashMap<>();
        TokenSource tokens = TokenSource.of(config.auth());
        try (Target target = Target.of(config);
             Ws.Client client = Ws.create(config.client(), config.nioThreads());
             Publisher publisher = new Publisher(target.base, tokens)) {
            Scenarios s = new Scenarios(config, target, client, publisher, tokens);
            if (config.warmup() > 0) {
                log("warm-up: " + config.warmup() + " unicast notifications (not reported)");
                s.unicast(new BenchConfig.Unicast(Math.min(200, config.unicast().users()), config.warmup(), 20), "warmup");
            }
            for (int run = 1; run <= config.runs(); run++) {
                for (String name : config.scenarios()) {
                    for (Map<String, Object> line : s.run(name, run)) {
                        results.add(line);
                        allOk &= !Boolean.FALSE.equals(line.get("ok"));
                        String key = name + (name.equals("broadcast") && line.containsKey("sockets") ? "@" + line.get("sockets") : "");
                        byScenario.computeIfAbsent(key, k -> new ArrayList<>()).add(line);
                    }
                }
            }
            byScenario.values().forEach(lines -> results.add(Results.median(lines)));
        }
        if (!allOk && config.strict()) {
            log("a correctness check failed (a line has \"ok\":false): exiting with 3");
            System.exit(3);
        }
        System.exit(0);
    }

    /**
     * Polls the 1-minute load every 20 s, up to bench.quietWaitSeconds, until it is below bench.quietLoad
     * (0: do not wait).
     */
    static void waitForQuiet(BenchConfig config) {
        double threshold = config.quietLoad();
        if (threshold <= 0) {
            return;
        }
        long deadline = System.nanoTime() + config.quietWait().toNanos();
        while (Proc.load1() >= threshold && System.nanoTime() < deadline) {
            log("load " + Proc.loadavg() + " >= " + threshold + ": waiting 20 s");
            LockSupport.parkNanos(java.util.concurrent.TimeUnit.SECONDS.toNanos(20));
        }
        log("load " + Proc.loadavg() + (Proc.load1() < threshold ? "" : " (still busy; running anyway)"));
    }

    private static String maxFiles() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    return line.substring(26).trim().split("\\s+")[0];
                }
            }
        } catch (IOException e) {
            return "? (" + e + ")";
        }
        return "?";
    }
}
