package dev.herald.bench;

import dev.herald.testing.HeraldNode;
import dev.herald.testing.RedisServer;
import dev.herald.testing.ServerRuntime;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server under test: Herald on Payara Micro started through the test harness ({@link HeraldNode}) against its
 * own {@link RedisServer}, or a server already running at {@code bench.url} (Herald, or the reference peer with
 * {@code bench.auth=none}). Also the few things the benchmark asks it: liveness, metrics, a thread dump, the heap.
 */
final class Target implements AutoCloseable {

    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    final String base;
    private final long pid;
    private final long redisPid;
    private final HeraldNode node;
    private final RedisServer redis;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private Target(String base, long pid, long redisPid, HeraldNode node, RedisServer redis) {
        this.base = base;
        this.pid = pid;
        this.redisPid = redisPid;
        this.node = node;
        this.redis = redis;
    }

    /** What {@code config} names: a server at {@code bench.url}, or Redis and Herald started here. */
    static Target of(BenchConfig config) {
        return config.startsServer() ? start(config) : attach(config);
    }

    /** A server already running on this machine: its pid is found from its listening port (for /proc). */
    private static Target attach(BenchConfig config) {
        String base = config.url().replaceFirst("/+$", "");
        long pid = config.serverPid() > 0 ? config.serverPid() : Proc.pidListening(URI.create(base).getPort()).orElse(-1);
        Bench.log("targeting " + base + " (server pid " + pid + ", redis pid " + config.redisPid() + ")");
        return new Target(base, pid, config.redisPid(), null, null);
    }

    /**
     * A redis-server and Herald on Payara Micro with the shipped payara-config, loopback only, security on (the
     * test key signs the benchmark's tokens); only the publish rate and the session cap are raised, and history
     * is left at its default size (the harness' test-sized history would change the publish script's trimming).
     */
    private static Target start(BenchConfig config) {
        RedisServer redis = RedisServer.start();
        Bench.log("redis-server on " + redis.uri() + " (pid " + redis.pid() + ")");
        // the harness gives test nodes 512 MB; 19,000 idle sockets hold ~660 MB (34.6 KB each): bench.serverJvmArgs wins
        List<String> jvm = new ArrayList<>(List.of("-Xmx2g"));
        jvm.addAll(config.serverJvmArgs());
        if (config.jfr()) {
            jvm.add("-XX:StartFlightRecording=filename=" + config.outDir().resolve("herald-" + System.currentTimeMillis() + ".jfr")
                    + ",settings=profile,dumponexit=true");
        }
        HeraldNode node = HeraldNode.create(ServerRuntime.PAYARA_MICRO, "herald", "bench", redis.uri(), Map.of(
                        "HERALD_HISTORY_SIZE", defaultHistorySize(config.basedir()),
                        "HERALD_PUBLISH_RATE_LIMIT", "1000000",
                        "HERALD_PUBLISH_BURST", "1000000",
                        "HERALD_WEBSOCKET_MAX_SESSIONS", "25000"))
                .withJvmOptions(jvm);
        Bench.log("starting Herald on Payara Micro (JVM options " + jvm + "), log " + node.log());
        try {
            node.start();
        } catch (RuntimeException e) {
            node.close();
            redis.close();
            throw e;
        }
        Bench.log(String.format("Herald ready in %.1f s (pid %d) at %s", node.bootTime().toMillis() / 1e3, node.pid(), node.http("")));
        return new Target(node.http("").toString().replaceFirst("/$", ""), node.pid(), redis.pid(), node, redis);
    }

    /** herald.history.size as the WAR ships it. */
    private static String defaultHistorySize(Path basedir) {
        java.util.Properties defaults = new java.util.Properties();
        try (var in = java.nio.file.Files.newInputStream(basedir.resolve("src/main/resources/META-INF/microprofile-config.properties"))) {
            defaults.load(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read Herald's default configuration", e);
        }
        return defaults.getProperty("herald.history.size");
    }

    long pid() {
        return pid;
    }

    long redisPid() {
        return redisPid;
    }

    URI ws(String path) {
        return URI.create(base.replaceFirst("^http", "ws") + path);
    }

    /** {status, body}; status -1 when the request failed. */
    String[] get(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new String[] {String.valueOf(r.statusCode()), r.body()};
        } catch (IOException e) {
            return new String[] {"-1", String.valueOf(e)};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new String[] {"-1", "interrupted"};
        }
    }

    /** A sample from Herald's application metrics (first line starting with name and containing label), or NaN. */
    double metric(String name, String label) {
        String[] r = get("/metrics?scope=application");
        if (!r[0].equals("200")) {
            return Double.NaN;
        }
        for (String line : r[1].split("\n")) {
            if (line.startsWith(name) && (line.length() == name.length() || line.charAt(name.length()) == '{'
                    || line.charAt(name.length()) == ' ') && (label == null || line.contains(label))) {
                try {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } catch (NumberFormatException e) {
                    return Double.NaN;
                }
            }
        }
        return Double.NaN;
    }

    double sessions() {
        return metric("herald_websocket_sessions", null);
    }

    /** Waits (bounded) until the server counts at most {@code max} open sessions; returns the last count. */
    double awaitSessionsAtMost(double max, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        double now = sessions();
        while (!(now <= max) && !Double.isNaN(now) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            now = sessions();
        }
        return now;
    }

    /** jcmd Thread.print of the server JVM, or null. */
    String threadDump() {
        return jcmd("Thread.print");
    }

    /**
     * Java heap in use after a full GC (jcmd GC.run, then GC.heap_info), in KiB; -1 when unknown. Unlike VmRSS,
     * it does not depend on how much heap earlier scenarios made the JVM touch.
     */
    long heapUsedAfterGcKb() {
        if (jcmd("GC.run") == null) {
            return -1;
        }
        String info = jcmd("GC.heap_info");
        Matcher m = info == null ? null : HEAP_USED.matcher(info);
        return m != null && m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Output of jcmd against the server JVM, or null. */
    private String jcmd(String command) {
        if (pid <= 0) {
            return null;
        }
        try {
            ProcessBuilder jcmdBuilder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(pid), command).redirectErrorStream(true);
            jcmdBuilder.environment().remove("JDK_JAVA_OPTIONS"); // the generator's heap options, not jcmd's
            Process jcmd = jcmdBuilder.start();
            byte[] out = jcmd.getInputStream().readAllBytes();
            if (!jcmd.waitFor(30, TimeUnit.SECONDS)) {
                jcmd.destroyForcibly();
                return null;
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** SIGTERM (Payara undeploys, Herald closes its sessions), then Redis; nothing for an attached server. */
    @Override
    public void close() {
        if (node == null) {
            return;
        }
        try {
            node.terminate();
        } finally {
            node.close();
            redis.close();
        }
    }
}
