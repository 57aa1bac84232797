package dev.herald.testing;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * A real {@code redis-server} process on a free loopback port, for tests: started, killed (SIGKILL),
 * paused and restarted on the same port. Set {@code REDIS_SERVER} to use a binary that is not on the PATH.
 * <p>
 * {@link #start()} is in-memory only: a restart after {@link #kill()} comes back empty.
 * {@link #startDurable()} runs with {@code --appendonly yes --appendfsync always} in its own directory,
 * which every restart reuses: Redis writes and fsyncs each command to the append-only file before it
 * answers, so a SIGKILLed Redis comes back with every notification Herald acknowledged (202). That is
 * what Herald's delivery guarantee needs to survive a Redis crash: AOF with fsync always, or a replica
 * that takes over (with {@code appendfsync everysec}, the default, up to a second of acknowledged
 * notifications can be lost with the process; without persistence, all of history is).
 */
public final class RedisServer implements AutoCloseable {

    /** Every process started and not yet closed, killed by a shutdown hook if a test never got to close it. */
    private static final Set<RedisServer> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(server -> {
            Process process = server.process;
            if (process != null) {
                process.destroyForcibly();
            }
        }), "redis-server reaper"));
    }

    private final int port;
    private final Path dir;
    private final boolean durable;
    private final Path config;
    private volatile Process process;

    private final List<String> extraArgs;

    private RedisServer(int port, Path dir, boolean durable, Path config, List<String> extraArgs) {
        this.port = port;
        this.dir = dir;
        this.durable = durable;
        this.config = config;
        this.extraArgs = extraArgs;
    }

    /** An in-memory Redis ({@code --save "" --appendonly no}): a restart comes back empty. */
    public static RedisServer start() {
        return start(false, List.of());
    }

    /** In memory, with more redis-server options, e.g. TLS ports and certificates. */
    public static RedisServer start(List<String> extraArgs) {
        return start(false, extraArgs);
    }

    /** A Redis that keeps every acknowledged write across {@link #kill()} and {@link #restart()} (AOF, fsync always). */
    public static RedisServer startDurable() {
        return start(true, List.of());
    }

    /**
     * In memory, reading {@code config} from a file of its own first: for a Sentinel ({@code extraArgs} then holds
     * {@code --sentinel}), which rewrites that file as it learns the topology and so needs it writable. Every
     * restart reuses the rewritten file.
     */
    public static RedisServer startWithConfig(String config, List<String> extraArgs) {
        return start(false, config, extraArgs);
    }

    private static RedisServer start(boolean durable, List<String> extraArgs) {
        return start(durable, null, extraArgs);
    }

    private static RedisServer start(boolean durable, String config, List<String> extraArgs) {
        try {
            Path dir = Files.createTempDirectory("herald-redis");
            Path file = config == null ? null : Files.writeString(dir.resolve("redis.conf"), config);
            int port = extraArgs.contains("--cluster-enabled") ? freeClusterPort() : freePort();
            RedisServer server = new RedisServer(port, dir, durable, file, extraArgs);
            LIVE.add(server);
            server.restart();
            return server;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean isDurable() {
        return durable;
    }

    /** The server's output, appended across restarts (deleted by {@link #close()}). */
    public Path log() {
        return dir.resolve("redis.log");
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The process id of the running redis-server (for logs and failure messages). */
    public synchronized long pid() {
        return process.pid();
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /**
     * Starts the process again on the same port and waits until it answers PING: empty, or for a
     * {@linkplain #startDurable() durable} server with everything it acknowledged before it was killed.
     */
    public synchronized void restart() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server is still running");
        }
        String binary = System.getenv().getOrDefault("REDIS_SERVER", "redis-server");
        List<String> command = new ArrayList<>(List.of(binary));
        if (config != null) {
            command.add(config.toString());
        }
        command.addAll(List.of("--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir.toString()));
        command.addAll(durable
                ? List.of("--appendonly", "yes", "--appendfsync", "always")
                : List.of("--appendonly", "no"));
        command.addAll(extraArgs);
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start '" + binary + "': install redis-server (apt-get install -y "
                    + "redis-server) or set REDIS_SERVER to its path", e);
        }
        awaitPong(Duration.ofSeconds(10));
    }

    /** Running and answering {@code ROLE} as a master. */
    public boolean isPrimary() {
        return isRunning() && reply("ROLE") instanceof List<?> role && "master".equals(role.get(0));
    }

    /** Running as a replica of {@code primary}, with the link up ({@code INFO replication}). */
    public boolean isReplicaOf(RedisServer primary) {
        return isRunning() && reply("INFO", "replication") instanceof String info && info.contains("role:slave")
                && info.contains("master_port:" + primary.port() + "\r\n") && info.contains("master_link_status:up");
    }

    /** SIGKILL: no shutdown, connections reset, data gone. */
    public synchronized void kill() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGSTOP: the process stops answering but its TCP connections stay up (a half-open broker). */
    public void pause() {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            int exit = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start().waitFor();
            if (exit != 0) {
                throw new IllegalStateException("kill -" + name + " exited with " + exit);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sends one command and returns the first line of the reply as sent ({@code +OK}, {@code :1}, {@code -ERR …}). */
    public String command(String... args) {
        try {
            return exchange(List.<String[]>of(args), RedisServer::readLine);
        } catch (IOException e) {
            return "-" + e.getMessage();
        }
    }

    /**
     * Sends one command and returns the whole reply: a {@code String} (simple or bulk), a {@code Long}, a
     * {@code List<Object>} of these, {@code null}, or an {@link ErrorReply} (also when the server cannot be reached).
     */
    public Object reply(String... args) {
        return replies(List.<String[]>of(args)).get(0);
    }

    /**
     * Sends commands on one connection, in order, and returns their replies as {@link #reply(String...)} does: for
     * what only holds within a connection, e.g. {@code ASKING} before the command it allows.
     */
    public List<Object> replies(List<String[]> commands) {
        try {
            return exchange(commands, in -> {
                List<Object> replies = new ArrayList<>();
                for (int i = 0; i < commands.size(); i++) {
                    replies.add(readReply(in));
                }
                return replies;
            });
        } catch (IOException e) {
            return Collections.nCopies(commands.size(), new ErrorReply("IO " + e.getMessage()));
        }
    }

    /** Sends a command that must answer {@code OK}, e.g. {@code REPLICAOF} or {@code CLUSTER SETSLOT}. */
    public void expectOk(String... args) {
        Object reply = reply(args);
        if (!"OK".equals(reply)) {
            throw new IllegalStateException(String.join(" ", args) + " on port " + port + " answered " + reply + "; see " + log());
        }
    }

    /** The reply of {@link #reply(String...)} that must be a string (e.g. {@code INFO}, {@code CLUSTER NODES}). */
    public String text(String... args) {
        Object reply = reply(args);
        if (reply instanceof String text) {
            return text;
        }
        throw new IllegalStateException(String.join(" ", args) + " on port " + port + " answered " + reply);
    }

    /** An error reply ({@code -MOVED 3999 127.0.0.1:7002} is {@code MOVED 3999 127.0.0.1:7002}), or a failed connection. */
    public record ErrorReply(String message) {
    }

    private interface Reader<T> {
        T read(InputStream in) throws IOException;
    }

    private <T> T exchange(List<String[]> commands, Reader<T> reader) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            StringBuilder request = new StringBuilder();
            for (String[] args : commands) {
                request.append('*').append(args.length).append("\r\n");
                for (String arg : args) {
                    request.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg).append("\r\n");
                }
            }
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return reader.read(new BufferedInputStream(socket.getInputStream()));
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\r' && c != -1; c = in.read()) {
            line.append((char) c);
        }
        return line.toString();
    }

    /** RESP2, which every connection speaks until it says HELLO 3. */
    private static Object readReply(InputStream in) throws IOException {
        int type = in.read();
        String line = readLine(in);
        in.read(); // the \n after the \r readLine stopped at
        switch (type) {
            case '+':
                return line;
            case '-':
                return new ErrorReply(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length + 2);
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    items.add(readReply(in));
                }
                return items;
            }
            default:
                throw new IOException("not a RESP2 reply: " + (char) type + line);
        }
    }

    private void awaitPong(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (!"+PONG".equals(command("PING"))) {
            if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("redis-server did not answer on port " + port + "; see " + dir.resolve("redis.log"));
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }

    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            signal("CONT");
            kill();
        }
        LIVE.remove(this);
        delete(dir.toFile());
    }

    private static void delete(File file) {
        File[] children = file.listFiles();
        if (children != null) {
            for (File child : children) {
                delete(child);
            }
        }
        file.delete();
    }

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /**
     * A free port below Linux's ephemeral range (32768+): outgoing connections never take it, so a
     * killed redis-server can be restarted on the same port. Never the same port twice in one test JVM: one
     * handed out but not bound yet (a node still booting) must not be handed out again.
     */
    public static int freePort() throws IOException {
        return freePort(12000, 0);
    }

    /**
     * For a Cluster node, which also listens on its port + 10000 (the cluster bus): both free, and both below the
     * ephemeral range (a bus port up there was now and then taken by some outgoing connection, and the node failed to
     * start).
     */
    static int freeClusterPort() throws IOException {
        return freePort(32768 - 10000 - 20000, 10000);
    }

    private static int freePort(int range, int alsoFreeAbove) throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = 20000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(range);
            if (!HANDED_OUT.add(port) || alsoFreeAbove > 0 && !HANDED_OUT.add(port + alsoFreeAbove)) {
                continue;
            }
            if (bindable(port) && (alsoFreeAbove == 0 || bindable(port + alsoFreeAbove))) {
                return port;
            }
        }
        throw new IOException("no free port found between 20000 and 32000");
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }
}
