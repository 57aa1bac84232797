package dev.herald.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Herald's load benchmark (issues 7 and 17): starts the reference peer ({@link Peer}, unless {@code bench.peer=false})
 * and a real redis-server and Herald on {@code bench.server} (or targets {@code bench.url}), gives both the same
 * warm-up, then runs the selected scenarios {@code bench.runs} times: in each run, each scenario the peer serves runs
 * on the peer and right after on Herald. Prints one JSON line per scenario run and side, one "pair" line per run
 * (figures, ratio, CPU per notification and per frame; see {@link Comparison}), then the median lines, all also
 * appended to target/bench/results.jsonl, and finally writes target/bench/summary.md.
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
        log("server " + config.server() + (config.startsServer() ? "" : " (attached: " + config.url() + ")")
                + ", peer " + (config.peer() ? config.peerDir() : "off") + ", scenarios " + config.scenarios()
                + ", runs " + config.runs() + ", client " + config.client() + ", auth " + config.auth()
                + ", load " + Proc.loadavg() + ", ulimit -n of this JVM: " + maxFiles());
        waitForQuiet(config);
        Results results = new Results(config.outDir());
        boolean allOk = true;
        List<Map<String, Object>> heraldLines = new ArrayList<>();
        List<Map<String, Object>> peerLines = new ArrayList<>();
        List<Map<String, Object>> pairs = new ArrayList<>();
        TokenSource tokens = TokenSource.of(config.auth());
        TokenSource none = TokenSource.of(BenchConfig.Auth.NONE);
        try (Target peer = config.peer() ? Peer.start(config) : null;
             Target herald = Target.of(config);
             Ws.Client client = Ws.create(config.client(), config.nioThreads());
             Publisher heraldPublisher = new Publisher(herald.base, tokens);
             Publisher peerPublisher = peer == null ? null : new Publisher(peer.base, none)) {
            if (!herald.hasMetrics()) {
                log("Herald on " + herald.server + " serves no /metrics: session counts and close metrics are NaN, "
                        + "and 2 s pass after closing sockets instead of waiting for the server's count");
            }
            Scenarios h = new Scenarios(config, herald, client, heraldPublisher, tokens);
            Scenarios p = peer == null ? null : new Scenarios(config, peer, client, peerPublisher, none);
            if (config.warmup() > 0) {
                BenchConfig.Unicast warm = new BenchConfig.Unicast(Math.min(200, config.unicast().users()), config.warmup(), 20);
                if (p != null) {
                    log("warm-up of the peer: " + config.warmup() + " unicast notifications (not reported)");
                    p.unicast(warm, "warmup");
                }
                log("warm-up of Herald: " + config.warmup() + " unicast notifications (not reported)");
                Map<String, Object> warmed = h.unicast(warm, "warmup");
                if (Boolean.FALSE.equals(warmed.get("ok"))) {
                    log("WARNING: Herald's warm-up did not deliver every notification exactly once (see its line above and "
                            + "the server's log); the measured runs still count");
                }
            }
            for (int run = 1; run <= config.runs(); run++) {
                Map<String, Object> peerUnicast = null; // this run's, the reference for batch
                for (String name : config.scenarios()) {
                    for (int part : h.parts(name)) {
                        Map<String, Object> peerLine = null;
                        if (p != null && (Comparison.peerServes(name) || name.equals("batch") && peerUnicast == null)) {
                            // the peer's run just before Herald's (for batch: its unicast, unless this run has one)
                            peerLine = p.run(Comparison.peerServes(name) ? name : "unicast", run, part);
                            results.add(peerLine);
                            peerLines.add(peerLine);
                            allOk &= !Boolean.FALSE.equals(peerLine.get("ok"));
                            if (peerLine.get("scenario").equals("unicast")) {
                                peerUnicast = peerLine;
                            }
                        } else if (name.equals("batch")) {
                            peerLine = peerUnicast;
                        }
                        Map<String, Object> heraldLine = h.run(name, run, part);
                        results.add(heraldLine);
                        heraldLines.add(heraldLine);
                        allOk &= !Boolean.FALSE.equals(heraldLine.get("ok"));
                        Map<String, Object> pair = Comparison.pair(name, herald.server, heraldLine, peerLine);
                        results.add(pair);
                        pairs.add(pair);
                        log(Comparison.describe(pair));
                    }
                }
            }
            Comparison.byScenario(peerLines).values().forEach(lines -> results.add(Results.median(lines)));
            Comparison.byScenario(heraldLines).values().forEach(lines -> results.add(Results.median(lines)));
            List<Map<String, Object>> medians = new ArrayList<>();
            for (List<Map<String, Object>> lines : Comparison.byScenario(pairs).values()) {
                Map<String, Object> median = Results.median(lines);
                results.add(median);
                medians.add(median);
                log(Comparison.describe(median));
            }
            Comparison.writeSummary(config.outDir().resolve("summary.md"), config, herald.server, peer != null, medians);
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
