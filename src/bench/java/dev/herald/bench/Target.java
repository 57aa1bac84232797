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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server under test: Herald on the runtime {@code bench.server} names, started through the test harness
 * ({@link HeraldNode}) against its own {@link RedisServer}; the reference peer ({@link Peer}); or a server already
 * running at {@code bench.url}. Also the few things the benchmark asks it: liveness, metrics (NaN where the server
 * has none: WildFly, the peer), a thread dump, the live heap.
 */
final class Target implements AutoCloseable {

    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");

    /** "herald" or "peer": how the result lines name it. */
    final String role;
    /** payara-micro, liberty, wildfly, node-ws-redis, or "attached". */
    final String server;
    final String base;
    private final long pid;
    private final long redisPid;
    private final URI live;
    private final boolean metrics;
    private final AutoCloseable stop;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    Target(String role, String server, String base, long pid, long redisPid, URI live, AutoCloseable stop) {
        this.role = role;
        this.server = server;
        this.base = base.replaceFirst("/+$", "");
        this.pid = pid;
        this.redisPid = redisPid;
        this.live = live;
        this.stop = stop;
        this.metrics = get("/metrics?scope=application")[0].equals("200");
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
        return new Target("herald", "attached", base, pid, config.redisPid(), URI.create(base + "/health/live"), null);
    }

    /**
     * A redis-server and Herald on {@code bench.server} with the shipped configuration (payara-config, or
     * src/main/liberty/config/server.xml, or WildFly's standalone-microprofile.xml), loopback only, security on
     * (the test key signs the benchmark's tokens); only the publish rate and the session cap are raised, and
     * history is left at its default size (the harness' test-sized history would change the publish script's
     * trimming). The server JVM gets a 2 GB heap, {@code bench.serverJvmArgs} and, with {@code bench.jfr}, a JFR
     * recording: on Payara Micro as java options, on Open Liberty through {@code JVM_ARGS} (read after its
     * jvm.options, so they win), on WildFly through {@code JBOSS_JAVA_SIZING} (standalone.conf puts it in front of
     * its own default JAVA_OPTS, which an explicit JAVA_OPTS would replace).
     */
    private static Target start(BenchConfig config) {
        ServerRuntime runtime = config.runtime();
        RedisServer redis = RedisServer.start();
        Bench.log("redis-server for Herald on " + redis.uri() + " (pid " + redis.pid() + ")");
        // the harness gives test nodes 512 MB; 19,000 idle sockets hold ~660 MB (34.6 KB each): bench.serverJvmArgs wins
        List<String> jvm = new ArrayList<>(List.of("-Xmx2g"));
        jvm.addAll(config.serverJvmArgs());
        if (config.jfr()) {
            jvm.add("-XX:StartFlightRecording=filename=" + config.outDir().resolve("herald-" + runtime.id() + "-"
                    + System.currentTimeMillis() + ".jfr") + ",settings=profile,dumponexit=true");
        }
        Map<String, String> env = new LinkedHashMap<>(Map.of(
                "HERALD_HISTORY_SIZE", defaultHistorySize(config.basedir()),
                "HERALD_PUBLISH_RATE_LIMIT", "1000000",
                "HERALD_PUBLISH_BURST", "1000000",
                "HERALD_WEBSOCKET_MAX_SESSIONS", "25000"));
        switch (runtime) {
            case OPEN_LIBERTY -> env.put("JVM_ARGS", String.join(" ", jvm));
            case WILDFLY -> env.put("JBOSS_JAVA_SIZING", "-Xms64m " + String.join(" ", jvm));
            default -> {
            }
        }
        HeraldNode node = HeraldNode.create(runtime, "herald-" + runtime.id(), "bench", redis.uri(), env)
                .withJvmOptions(runtime == ServerRuntime.PAYARA_MICRO ? jvm : List.of());
        Bench.log("starting Herald on " + runtime + " (JVM options " + jvm + "), log " + node.log());
        try {
            node.start();
        } catch (RuntimeException e) {
            node.close();
            redis.close();
            throw e;
        }
        // the JVM that listens, not a launcher script (WildFly's standalone.sh forks it)
        long pid = Proc.pidListening(node.port()).orElse(node.pid());
        Bench.log(String.format("Herald on %s ready in %.1f s (server JVM pid %d, launched pid tree %d) at %s", runtime,
                node.bootTime().toMillis() / 1e3, pid, node.pid(), node.http("")));
        return new Target("herald", runtime.id(), node.http("").toString(), pid, redis.pid(), node.health("health/live"), () -> {
            try {
                node.terminate();
            } finally {
                node.close();
                redis.close();
            }
        });
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
        return get(URI.create(base + path));
    }

    private String[] get(URI uri) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new String[] {String.valueOf(r.statusCode()), r.body()};
        } catch (IOException e) {
            return new String[] {"-1", String.valueOf(e)};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new String[] {"-1", "interrupted"};
        }
    }

    /** {status, body} of the liveness check (WildFly: on its management port; the peer: /health). */
    String[] live() {
        return get(live);
    }

    /** Whether the server answered /metrics?scope=application at start (not WildFly 39, not the peer). */
    boolean hasMetrics() {
        return metrics;
    }

    /** A sample from Herald's application metrics (first line starting with name and containing label), or NaN. */
    double metric(String name, String label) {
        if (!metrics) {
            return Double.NaN;
        }
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

    /**
     * Waits (bounded) until the server counts at most {@code max} open sessions; returns the last count. A server
     * without metrics gets a fixed 2 s (at most {@code timeout}) to let closed sockets go, and NaN is returned.
     */
    double awaitSessionsAtMost(double max, Duration timeout) {
        if (!metrics) {
            LockSupport.parkNanos(Math.min(timeout.toNanos(), TimeUnit.SECONDS.toNanos(2)));
            return Double.NaN;
        }
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
     * The server JVM's live heap in KiB: the total of {@code jcmd GC.class_histogram}, which runs a full GC first
     * and counts only reachable objects (unlike GC.run, -XX:+DisableExplicitGC cannot turn it off; unlike VmRSS,
     * it does not depend on how much heap earlier scenarios made the JVM touch); -1 when unknown (no JVM: the peer).
     */
    long heapUsedAfterGcKb() {
        String histogram = jcmd("GC.class_histogram");
        Matcher m = histogram == null ? null : HISTOGRAM_TOTAL.matcher(histogram);
        return m != null && m.find() ? Long.parseLong(m.group(1)) / 1024 : -1;
    }

    /**
     * Output of jcmd against the server JVM, or null; never against a process that is not a JVM (the attach
     * handshake signals SIGQUIT, which would end the Node peer).
     */
    private String jcmd(String command) {
        boolean jvm = pid > 0 && ProcessHandle.of(pid).flatMap(p -> p.info().command()).map(c -> c.endsWith("/java")).orElse(false);
        if (!jvm) {
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

    /** SIGTERM (the server undeploys, Herald closes its sessions), then its Redis; nothing for an attached server. */
    @Override
    public void close() {
        if (stop == null) {
            return;
        }
        try {
            stop.close();
        } catch (Exception e) {
            Bench.log("stopping " + role + " on " + server + ": " + e);
        }
    }
}
