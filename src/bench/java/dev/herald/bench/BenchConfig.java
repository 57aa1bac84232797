package dev.herald.bench;

import dev.herald.testing.ServerRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * Everything the benchmark is told, read once from the {@code -Dbench.*} system properties and passed down. An
 * empty value means the default (the Maven profile passes every key, empty when not given); the defaults are
 * issue 7's sizes.
 */
record BenchConfig(Path basedir, String server, boolean peer, Path peerDir, String node, String url, long serverPid,
                   long redisPid, List<String> scenarios, int runs,
                   String client, int nioThreads, Auth auth, boolean jfr, List<String> serverJvmArgs,
                   double quietLoad, Duration quietWait, Duration maxLoop, int warmup, boolean strict,
                   Unicast unicast, Batch batch, Latency latency, Broadcast broadcast, Idle idle, int resumeCount,
                   Slow slow) {

    static final List<String> ALL = List.of("unicast", "batch", "latency", "broadcast", "idle", "resume", "slow");

    /** Credentials the generator presents: the test key's tokens (the server it starts trusts it), or none (the peer). */
    enum Auth {
        TEST_KEY, NONE
    }

    record Unicast(int users, int messages, int publishers) {
    }

    record Batch(int users, int messages, int size, int publishers) {
    }

    record Latency(int users, double rate, double seconds, int publishers) {
    }

    record Broadcast(List<Integer> sockets, double rate, double seconds) {
    }

    /** {@code heapAt}: the step whose heap per idle socket is the scenario's figure (issue 17: 10,000). */
    record Idle(List<Integer> steps, int sources, double cpuSeconds, int heapAt) {
    }

    record Slow(int users, int slowClients, double rate, double seconds, double floodRate, int floodBytes) {
    }

    BenchConfig {
        for (String s : scenarios) {
            if (!ALL.contains(s)) {
                throw new IllegalArgumentException("unknown scenario " + s + "; known: " + ALL);
            }
        }
        if (!client.equals("jdk") && !client.equals("nio")) {
            throw new IllegalArgumentException("bench.client must be jdk or nio, not " + client);
        }
        runtime(server); // fails early on an unknown server
    }

    /** The server {@code bench.server} names. */
    ServerRuntime runtime() {
        return runtime(server);
    }

    private static ServerRuntime runtime(String id) {
        return java.util.stream.Stream.of(ServerRuntime.values()).filter(r -> r.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("bench.server=" + id + ": not one of payara-micro, liberty, wildfly"));
    }

    static BenchConfig fromSystemProperties() {
        return from(System.getProperties());
    }

    static BenchConfig from(Properties properties) {
        Reader r = new Reader(properties);
        int users = r.integer("unicast.users", 1000);
        List<String> scenarios = r.list("scenarios", String.join(",", ALL));
        Path basedir = Path.of(r.str("basedir", ".")).toAbsolutePath().normalize();
        return new BenchConfig(
                basedir,
                r.str("server", "payara-micro"),
                r.bool("peer", true),
                basedir.resolve(r.str("peerDir", "../shared/peers/node-ws-redis")).normalize(),
                r.str("node", "node"),
                r.str("url", ""),
                r.integer("serverPid", -1),
                r.integer("redisPid", -1),
                scenarios.equals(List.of("all")) ? ALL : scenarios,
                r.integer("runs", 1),
                r.str("client", "jdk"),
                r.integer("nio.threads", 1),
                Auth.valueOf(r.str("auth", "test-key").toUpperCase(java.util.Locale.ROOT).replace('-', '_')),
                r.bool("jfr", false),
                r.list("serverJvmArgs", "", "\\s+"),
                r.real("quietLoad", 0),
                Duration.ofSeconds(r.integer("quietWaitSeconds", 600)),
                Duration.ofSeconds(r.integer("maxSeconds", 300)),
                r.integer("warmup", 3000),
                r.bool("strict", true),
                new Unicast(users, r.integer("unicast.messages", 20000), r.integer("unicast.publishers", 50)),
                new Batch(r.integer("batch.users", 1000), r.integer("batch.messages", 500000), r.integer("batch.size", 500),
                        r.integer("batch.publishers", 4)),
                new Latency(r.integer("latency.users", 1000), r.real("latency.rate", 500), r.real("latency.seconds", 20),
                        r.integer("latency.publishers", 16)),
                new Broadcast(r.list("broadcast.sockets", "2000,5000").stream().map(Integer::valueOf).toList(),
                        r.real("broadcast.rate", 10), r.real("broadcast.seconds", 10)),
                new Idle(r.list("idle.steps", "1000,5000,10000,15000,19000").stream().map(Integer::valueOf).toList(),
                        r.integer("idle.sources", 4), r.real("idle.cpuSeconds", 10), r.integer("idle.heapAt", 10000)),
                r.integer("resume.count", 10),
                slow(r));
    }

    private static Slow slow(Reader r) {
        int users = r.integer("slow.users", 1000);
        return new Slow(users, r.integer("slow.slowClients", Math.max(1, users / 100)), r.real("slow.rate", 500),
                r.real("slow.seconds", 20), r.real("slow.floodRate", 20), r.integer("slow.floodBytes", 60000));
    }

    /** target/peer: the reference peer's copy, where {@code npm ci} installs its modules. */
    Path peerCopy() {
        return basedir.resolve("target").resolve("peer");
    }

    /** target/bench: results.jsonl, summary.md, the servers' logs, thread dumps, JFR recordings. */
    Path outDir() {
        return basedir.resolve("target").resolve("bench");
    }

    /** Whether the benchmark starts Redis and Herald itself (no {@code bench.url}). */
    boolean startsServer() {
        return url.isEmpty();
    }

    private record Reader(Properties properties) {
        String str(String key, String def) {
            String v = properties.getProperty("bench." + key);
            return v == null || v.isBlank() ? def : v.trim();
        }

        int integer(String key, int def) {
            return Integer.parseInt(str(key, String.valueOf(def)));
        }

        double real(String key, double def) {
            return Double.parseDouble(str(key, String.valueOf(def)));
        }

        boolean bool(String key, boolean def) {
            return Boolean.parseBoolean(str(key, String.valueOf(def)));
        }

        List<String> list(String key, String def) {
            return list(key, def, ",");
        }

        List<String> list(String key, String def, String separator) {
            return Arrays.stream(str(key, def).split(separator)).map(String::trim).filter(s -> !s.isEmpty()).toList();
        }
    }
}
