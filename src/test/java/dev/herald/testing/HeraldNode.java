package dev.herald.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * One Herald node: {@code target/herald.war} on a server ({@link ServerRuntime}: Payara Micro unless told
 * otherwise) at context root {@code /} on fixed loopback ports, against a given Redis, configured only through
 * environment variables. It can be stopped gracefully ({@link #terminate()}, SIGTERM) or killed ({@link #kill()},
 * SIGKILL), and started again on the same ports with the same settings, each time in a fresh runtime directory.
 * <p>
 * When to use: a test that needs several nodes, stops or restarts one, or runs on another server (ChaosIT,
 * BrowserIT, PortableIT); for one Payara Micro deployment per class use Arquillian with {@link Deployments}.
 * <p>
 * Payara Micro runs with production's {@code payara-config} files, as {@code ./mvnw -Prun} does:
 * {@code pre-boot-commands-local.asadmin} (listen on 127.0.0.1 only, keep-alive connections never closed after a
 * request count, a fixed request thread pool) and {@code system.properties}; without Hazelcast or phone-home.
 * The server's output goes to {@code target/<logs>/<name>.log}, appended across restarts.
 */
public final class HeraldNode implements AutoCloseable {

    /** Ready in 10-20 s alone; two nodes booting together on a 2-core machine busy with other builds took over 90 s. */
    public static final Duration BOOT_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Path TARGET = Path.of("target");

    private final ServerRuntime server;
    private final String name;
    /** Fixed once the node has booted (restarts reuse them); replaced only if the first boot finds one taken. */
    private volatile ServerRuntime.Ports ports;
    private final Map<String, String> environment;
    private final Path log;
    private Path rootDir;
    /** More options for the server's JVM (after the runtime's own, so they win); e.g. the benchmark's heap and JFR. */
    private volatile List<String> jvmOptions = List.of();
    private volatile Process process;
    /** False from the moment the test stops or kills the node until it answers ready again: a hint for clients. */
    private volatile boolean available;
    private int starts;
    private Duration bootTime;

    private HeraldNode(ServerRuntime server, String name, String logs, Map<String, String> environment) {
        this.server = server;
        this.name = name;
        this.ports = ServerRuntime.Ports.free();
        this.environment = Map.copyOf(environment);
        try {
            Path dir = Files.createDirectories(TARGET.resolve(logs));
            this.log = dir.resolve(name + ".log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Payara Micro node for the chaos suite (logs in {@code target/chaos}); see {@link #create(ServerRuntime, String, String, String, Map)}. */
    public static HeraldNode create(String name, String redisUri, Map<String, String> overrides) {
        return create(ServerRuntime.PAYARA_MICRO, name, "chaos", redisUri, overrides);
    }

    /**
     * A node (not started yet) on free ports: {@code HERALD_BROKER=redis}, {@code HERALD_REDIS_URI=redisUri},
     * a history nothing trims during a test, a short shutdown close window, the test token key, then
     * {@code overrides}. Its log is {@code target/<logs>/<name>.log}.
     */
    public static HeraldNode create(ServerRuntime server, String name, String logs, String redisUri,
                                    Map<String, String> overrides) {
        Map<String, String> env = redisNode(redisUri);
        // security on: the nodes trust the test key; the publisher is trusted to publish fast
        env.put("MP_JWT_VERIFY_PUBLICKEY", TestTokens.pem());
        env.put("MP_JWT_VERIFY_ISSUER", TestTokens.ISSUER);
        env.put("MP_JWT_VERIFY_AUDIENCES", TestTokens.AUDIENCE);
        env.put("HERALD_PUBLISH_RATE_LIMIT", "100000");
        env.put("HERALD_PUBLISH_BURST", "100000");
        env.putAll(overrides);
        return new HeraldNode(server, name, logs, env);
    }

    /**
     * A node (not started yet) in development mode, as {@code ./mvnw -Prun} runs: it hands out tokens at
     * {@code POST /dev/token} and trusts only the key it generates at start, so a restart invalidates them.
     */
    public static HeraldNode createInDevelopmentMode(String name, String redisUri) {
        Map<String, String> env = redisNode(redisUri);
        env.put("HERALD_DEV_MODE", "true");
        return new HeraldNode(ServerRuntime.PAYARA_MICRO, name, "browser", env);
    }

    private static Map<String, String> redisNode(String redisUri) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HERALD_BROKER", "redis");
        env.put("HERALD_REDIS_URI", redisUri);
        env.put("HERALD_HISTORY_SIZE", "100000");
        env.put("HERALD_SHUTDOWN_CLOSE_WINDOW", "PT2S");
        return env;
    }

    public String name() {
        return name;
    }

    /** Adds options for the server's JVM from the next {@link #start()} on, after the runtime's own (so they win). */
    public HeraldNode withJvmOptions(List<String> options) {
        this.jvmOptions = List.copyOf(options);
        return this;
    }

    /** The server JVM's process id (a launcher script's java child where there is one), or -1 before the first start. */
    public long pid() {
        Process p = process;
        if (p == null) {
            return -1;
        }
        return p.descendants().filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .mapToLong(ProcessHandle::pid).findFirst().orElse(p.pid());
    }

    public int port() {
        return ports.http();
    }

    /** Herald's routes on this node (at context root {@code /}, on its current port). */
    public Endpoints endpoints() {
        return new Endpoints(URI.create("http://127.0.0.1:" + ports.http() + "/"));
    }

    public URI http(String path) {
        return endpoints().http(path);
    }

    public URI ws(String path) {
        return endpoints().ws(path);
    }

    /** MicroProfile Health, e.g. {@code health/ready}: where this server serves it. */
    public URI health(String path) {
        return server.health(ports, path);
    }

    /** The WAR file the server deployed (WildFly's copy, or the build's WAR itself). */
    public Path deployedWar() {
        return server.deployedWar(war(), rootDir);
    }

    /** How long the last {@link #start()} took until {@code /health/ready} answered 200. */
    public Duration bootTime() {
        return bootTime;
    }

    public Path log() {
        return log;
    }

    /** True while the process runs and the test has not begun stopping it; clients prefer available nodes. */
    public boolean isAvailable() {
        return available && isRunning();
    }

    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /**
     * Starts the process and returns once {@code /health/ready} answers 200 (fails after {@link #BOOT_TIMEOUT}).
     * Until the node has booted once, a port some other process took meanwhile means new ports and another try.
     */
    public synchronized void start() {
        if (isRunning()) {
            throw new IllegalStateException(name + " is still running");
        }
        for (int attempt = 1; ; attempt++) {
            try {
                boot();
                return;
            } catch (PortTaken e) {
                if (bootTime != null || attempt == 3) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
                ports = ServerRuntime.Ports.free();
            }
        }
    }

    /** The server exited at boot because a port was in use (Payara Micro exits with 0 then). */
    private static final class PortTaken extends RuntimeException {
        PortTaken(String message) {
            super(message);
        }
    }

    private void boot() {
        // A fresh runtime directory each time: in a reused one Payara Micro first deploys the application it
        // finds there, then undeploys and redeploys it for --deploy (twice the boot time, and 404s meanwhile).
        if (rootDir != null) {
            deleteTree(rootDir);
        }
        try {
            rootDir = Files.createTempDirectory("herald-" + name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command;
        try {
            command = server.withJvmOptions(server.command(war(), ports, rootDir), jvmOptions);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lay out " + server + " for " + name + " in " + rootDir, e);
        }
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // nothing of the test JVM's own HERALD_* environment leaks into the node
        builder.environment().keySet().removeIf(key -> key.startsWith("HERALD_"));
        builder.environment().remove("JDK_JAVA_OPTIONS"); // the calling JVM's own options (the benchmark sets them)
        server.environment(builder.environment(), rootDir);
        builder.environment().putAll(environment);
        starts++;
        long logStart;
        try {
            logStart = Files.exists(log) ? Files.size(log) : 0;
            Files.writeString(log, "\n===== " + Instant.now() + " start #" + starts + " of " + name + " on " + server + " " + ports
                    + " with " + environment + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
        Instant started = Instant.now();
        Instant deadline = started.plus(BOOT_TIMEOUT);
        while (readyStatus() != 200) {
            if (!process.isAlive()) {
                String output = logSince(logStart);
                String message = name + " exited with " + process.exitValue() + " while booting; see " + log
                        + "; its errors:\n" + output.lines()
                        .filter(line -> line.contains("SEVERE") || line.contains("ERROR") || line.contains("Exception"))
                        .limit(10).collect(java.util.stream.Collectors.joining("\n"));
                if (output.contains("Address already in use")) {
                    throw new PortTaken(message);
                }
                throw new IllegalStateException(message);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(name + " was not ready within " + BOOT_TIMEOUT + "; see " + log);
            }
            LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        }
        bootTime = Duration.between(started, Instant.now());
        available = true;
    }

    private String logSince(long offset) {
        try (var in = Files.newInputStream(log)) {
            in.skipNBytes(offset);
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** The status {@code GET /health/ready} answers, or -1 when the node cannot be reached within 3 s. */
    public int readyStatus() {
        try {
            return Http.client().send(HttpRequest.newBuilder(health("health/ready")).timeout(Duration.ofSeconds(3)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Starts the nodes in parallel (each boot takes seconds) and returns once all are ready; fails if one does not boot. */
    public static void startAll(HeraldNode... nodes) {
        CompletableFuture.allOf(Stream.of(nodes)
                .map(node -> CompletableFuture.runAsync(node::start, task -> new Thread(task, "boot-" + node.name()).start()))
                .toArray(CompletableFuture[]::new)).join();
    }

    /** Closes each node that was created (a suite's {@code @AfterAll}, whether or not its boot got that far). */
    public static void closeAll(HeraldNode... nodes) {
        for (HeraldNode node : nodes) {
            if (node != null) {
                node.close();
            }
        }
    }

    /** SIGTERM (a graceful shutdown: sessions are closed with 1001), then waits for the process to exit. */
    public synchronized void terminate() {
        available = false;
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        note("SIGTERM");
        p.destroy();
        if (!waitFor(p, STOP_TIMEOUT)) {
            note("still running " + STOP_TIMEOUT.toSeconds() + " s after SIGTERM: SIGKILL");
            p.destroyForcibly();
            waitFor(p, STOP_TIMEOUT);
            throw new IllegalStateException(name + " did not exit within " + STOP_TIMEOUT + " of SIGTERM; see " + log);
        }
    }

    /** SIGKILL: no shutdown at all; clients see their connections reset. Waits for the process to be gone. */
    public synchronized void kill() {
        available = false;
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        note("SIGKILL");
        p.descendants().forEach(ProcessHandle::destroyForcibly); // the JVM a launcher script started
        p.destroyForcibly();
        waitFor(p, STOP_TIMEOUT);
    }

    private void note(String what) {
        try {
            Files.writeString(log, "\n===== " + Instant.now() + " test sends " + what + " to " + name + " (pid "
                    + process.pid() + ")\n", java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // only a log line
        }
    }

    private static boolean waitFor(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public synchronized void close() {
        kill();
        if (rootDir != null) {
            deleteTree(rootDir);
        }
    }

    private static Path war() {
        return Path.of(System.getProperty("herald.war", TARGET.resolve("herald.war").toString()));
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind
        }
    }

    @Override
    public String toString() {
        return name + "@" + ports.http();
    }
}
