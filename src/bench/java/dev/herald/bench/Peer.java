package dev.herald.bench;

import dev.herald.testing.RedisServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The reference peer of issue 17 ({@code ../shared/peers/node-ws-redis}, {@code bench.peerDir}): copied to
 * {@code target/peer}, its modules installed there once with {@code npm ci --silent}, then started as
 * {@code node server.mjs} on a free loopback port against its own redis-server (the harness' {@link RedisServer}).
 * The pid the benchmark accounts CPU to is the node process itself (started directly, no shell).
 * <p>
 * It serves unicast, latency and broadcast as they are (no authentication: {@code TokenSource.NONE}); it has no
 * batch route, no resume, no metrics and no {@code /health/live} (its liveness is {@code GET /health}).
 */
final class Peer {

    static final String NAME = "node-ws-redis";
    private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private Peer() {
    }

    static Target start(BenchConfig config) {
        Path copy = install(config);
        RedisServer redis = RedisServer.start();
        Process node = null;
        try {
            int port = RedisServer.freePort();
            Path log = config.outDir().resolve("peer.log");
            ProcessBuilder builder = new ProcessBuilder(config.node(), "server.mjs")
                    .directory(copy.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().put("REDIS_URL", redis.uri());
            builder.environment().put("PORT", String.valueOf(port));
            builder.environment().put("HOST", "127.0.0.1");
            builder.environment().remove("JDK_JAVA_OPTIONS");
            node = builder.start();
            String base = "http://127.0.0.1:" + port;
            awaitHealth(node, URI.create(base + "/health"), log);
            Bench.log("reference peer " + NAME + " (node pid " + node.pid() + ") at " + base + " with redis-server "
                    + redis.uri() + " (pid " + redis.pid() + "), log " + log);
            Process started = node;
            return new Target("peer", NAME, base, node.pid(), redis.pid(), URI.create(base + "/health"), () -> {
                try {
                    stop(started);
                } finally {
                    redis.close();
                }
            });
        } catch (IOException | RuntimeException e) {
            if (node != null) {
                stop(node);
            }
            redis.close();
            throw e instanceof IOException io ? new UncheckedIOException("cannot start the reference peer", io) : (RuntimeException) e;
        }
    }

    /**
     * target/peer with the peer's files (refreshed from bench.peerDir each run) and its modules; {@code npm ci}
     * runs only when target/peer has none yet or the lock file changed.
     */
    private static Path install(BenchConfig config) {
        Path source = config.peerDir();
        if (!Files.isRegularFile(source.resolve("server.mjs")) || !Files.isRegularFile(source.resolve("package-lock.json"))) {
            throw new IllegalStateException("bench.peerDir=" + source + " is not the reference peer (no server.mjs and "
                    + "package-lock.json there): check out ../shared/peers next to the project, give -Dbench.peerDir=<dir>, "
                    + "or run without the peer (-Dbench.peer=false)");
        }
        Path copy = config.peerCopy();
        try {
            boolean sameLock = Files.isDirectory(copy.resolve("node_modules")) && Files.isRegularFile(copy.resolve("package-lock.json"))
                    && Files.mismatch(source.resolve("package-lock.json"), copy.resolve("package-lock.json")) == -1;
            Files.createDirectories(copy);
            try (Stream<Path> files = Files.list(source)) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    Path target = copy.resolve(file.getFileName().toString());
                    Files.deleteIfExists(target); // the shared copy is read-only, and so would the last copy be
                    Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
                    target.toFile().setWritable(true, true);
                }
            }
            if (sameLock) {
                return copy;
            }
            Path log = Files.createDirectories(config.outDir()).resolve("peer-npm.log");
            Bench.log("npm ci --silent in " + copy + " (log " + log + ")");
            Process npm = new ProcessBuilder("npm", "ci", "--silent", "--no-audit", "--no-fund")
                    .directory(copy.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            if (!npm.waitFor(NPM_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                npm.destroyForcibly();
                throw new IllegalStateException("npm ci did not finish within " + NPM_TIMEOUT + " in " + copy + "; see " + log);
            }
            if (npm.exitValue() != 0) {
                throw new IllegalStateException("npm ci failed (exit " + npm.exitValue() + ") in " + copy + ": "
                        + Files.readString(log, StandardCharsets.UTF_8).strip());
            }
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the reference peer in " + copy, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while installing the reference peer", e);
        }
    }

    private static void awaitHealth(Process node, URI health, Path log) throws IOException {
        // HTTP/1.1: an h2c upgrade request would reach the peer's WebSocket upgrade handler, which drops it
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!node.isAlive()) {
                throw new IllegalStateException("the reference peer exited with " + node.exitValue() + " at start: "
                        + tail(log));
            }
            try {
                if (http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        throw new IllegalStateException("the reference peer did not answer " + health + " within " + READY_TIMEOUT + ": " + tail(log));
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
    }

    /** SIGTERM (the peer closes its sockets and Redis connections and exits), SIGKILL after 10 s. */
    private static void stop(Process node) {
        node.destroy();
        try {
            if (!node.waitFor(10, TimeUnit.SECONDS)) {
                node.destroyForcibly();
                node.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            node.destroyForcibly();
        }
    }
}
