package dev.herald.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The server under test: either Herald on Payara Micro started here as a child process (with a real
 * redis-server), or one already running at {@code bench.url}. Also the few things the benchmark asks it:
 * readiness, liveness, metrics, a thread dump.
 */
final class Herald implements AutoCloseable {

    final String base;
    final int port;
    private final Process process;
    private final long pid;
    final Path log;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private Herald(String base, Process process, long pid, Path log) {
        this.base = base;
        this.port = URI.create(base).getPort();
        this.process = process;
        this.pid = pid;
        this.log = log;
    }

    long pid() {
        return pid;
    }

    /** Herald already running elsewhere on this machine: its pid is found from its listening port (for /proc). */
    static Herald attach(String url, long pidOverride) {
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        int port = URI.create(base).getPort();
        long pid = pidOverride > 0 ? pidOverride : Proc.pidListening(port).orElse(-1);
        return new Herald(base, null, pid, null);
    }

    static Herald start(Path basedir, String redisUri, List<String> jvmArgs, Path outDir) throws IOException {
        int port = freePort();
        Path log = outDir.resolve("herald-" + port + ".log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Dhazelcast.phone.home.enabled=false");
        command.addAll(jvmArgs);
        command.addAll(List.of("-jar", basedir.resolve("target/payara-micro.jar").toString(),
                "--deploy", basedir.resolve("target/herald.war").toString(),
                "--contextroot", "/",
                "--port", String.valueOf(port),
                "--nohazelcast", "--disablephonehome",
                "--rootdir", outDir.resolve("payara-root-" + port).toString(),
                // the shipped tuning (keep-alive without a request limit), bound to loopback only
                "--prebootcommandfile", basedir.resolve("payara-config/pre-boot-commands-local.asadmin").toString(),
                "--systemproperties", basedir.resolve("payara-config/system.properties").toString()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(basedir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().remove("JDK_JAVA_OPTIONS"); // the generator's options, not the server's
        builder.environment().put("HERALD_BROKER", "redis");
        builder.environment().put("HERALD_REDIS_URI", redisUri);
        // security on, as measured: the test key signs the benchmark's tokens; only the publish rate is raised
        builder.environment().put("MP_JWT_VERIFY_PUBLICKEY", dev.herald.testing.TestTokens.pem());
        builder.environment().put("MP_JWT_VERIFY_ISSUER", dev.herald.testing.TestTokens.ISSUER);
        builder.environment().put("MP_JWT_VERIFY_AUDIENCES", dev.herald.testing.TestTokens.AUDIENCE);
        builder.environment().put("HERALD_PUBLISH_RATE_LIMIT", "1000000");
        builder.environment().put("HERALD_PUBLISH_BURST", "1000000");
        builder.environment().put("HERALD_WEBSOCKET_MAX_SESSIONS", "25000");
        Bench.log("starting Herald on Payara Micro, port " + port + ", log " + log + ": " + String.join(" ", command));
        Process process = builder.start();
        Herald herald = new Herald("http://127.0.0.1:" + port, process, process.pid(), log);
        Runtime.getRuntime().addShutdownHook(new Thread(herald::kill));
        long started = System.nanoTime();
        long deadline = started + TimeUnit.SECONDS.toNanos(240);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Payara Micro exited with " + process.exitValue() + "; see " + log);
            }
            String[] ready = herald.get("/health/ready");
            if (ready[0].equals("200") && ready[1].contains("broker")) {
                break;
            }
            if (System.nanoTime() > deadline) {
                herald.close();
                throw new IllegalStateException("Herald not ready within 240 s (last: " + ready[0] + " " + ready[1] + "); see " + log);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
        }
        Bench.log(String.format("Herald ready in %.1f s (pid %d)", (System.nanoTime() - started) / 1e9, process.pid()));
        return herald;
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
        java.util.regex.Matcher m = info == null ? null : java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
        return m != null && m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Output of jcmd against the server JVM, or null. */
    String jcmd(String command) {
        if (pid <= 0) {
            return null;
        }
        try {
            ProcessBuilder jcmdBuilder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(pid), command).redirectErrorStream(true);
            jcmdBuilder.environment().remove("JDK_JAVA_OPTIONS");
            Process jcmd = jcmdBuilder.start();
            byte[] out = jcmd.getInputStream().readAllBytes();
            if (!jcmd.waitFor(30, TimeUnit.SECONDS)) {
                jcmd.destroyForcibly();
                return null;
            }
            return new String(out, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    @Override
    public void close() {
        if (process == null) {
            return;
        }
        process.destroy(); // SIGTERM: Payara undeploys, Herald closes its sessions
        try {
            if (!process.waitFor(40, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static OptionalLong redisPid(int port) {
        return Proc.pidListening(port);
    }

    static void sleep(Duration d) {
        LockSupport.parkNanos(d.toNanos());
    }

    static boolean exists(Path p) {
        return Files.exists(p);
    }
}
