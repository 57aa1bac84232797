package dev.herald.testing.chaos;

import dev.herald.testing.HeraldNode;
import dev.herald.testing.Http;
import dev.herald.testing.TestTokens;
import jakarta.json.Json;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One client session as a well-behaved app keeps it: connected to one node of a Herald cluster, and whenever
 * its socket closes for a reason that says "come back" (1001, 1006/error, 1011, 1013, 4429, or a hung
 * connection) it reconnects after a short random delay with {@code ?since=<last id received>}: to the other
 * node when its own is down, alternating otherwise. A close with 1008 or 4410 is not retried: it is recorded
 * as a failure (a chaos test keeps all history, so a resume can never legitimately be refused).
 * <p>
 * Records every frame's {@code id} and numbered fields ({@code n}, {@code a}, {@code s}) in arrival order,
 * duplicates included. Reading can be stopped ({@link #pause()}: no more demand, so frames pile up in the
 * TCP buffers and then on the server, as with a stalled client) and resumed. All scheduling is on the given
 * {@link ScheduledExecutorService}; nothing sleeps.
 */
public final class ResilientSession {

    /** One received frame: the stream id and the publisher's fields (-1 / null when absent). */
    public record Frame(String id, long n, long attempt, String scenario, int connection, long receivedMillis) {
        /** Milliseconds from the notification being stored (its id's time) to its arrival here. */
        public long lagMillis() {
            int dash = id.indexOf('-');
            return receivedMillis - Long.parseLong(dash < 0 ? id : id.substring(0, dash));
        }
    }

    /** How one connection ended, or why one could not be made. */
    public record Closure(int code, String reason, String node, Instant at) {
        @Override
        public String toString() {
            return code + " on " + node + (reason == null || reason.isEmpty() ? "" : " (" + reason + ")");
        }
    }

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration PING_AFTER_SILENCE = Duration.ofSeconds(2);
    private static final Duration PONG_TIMEOUT = Duration.ofSeconds(6);
    /** Not a WebSocket close code: the client gave up on a connection that answered nothing (see the watchdog). */
    public static final int HUNG = 4999;

    private final String name;
    private final String path;
    private final List<HeraldNode> nodes;
    private final ScheduledExecutorService scheduler;
    private final String initialSince;

    private final List<Frame> frames = new ArrayList<>();
    private final Set<String> ids = new HashSet<>();
    private final List<Closure> closures = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final List<String> connectFailures = new ArrayList<>();
    private String lastId;
    private int nodeIndex;
    private int generation;
    private int connections;
    private int failedAttempts;
    private boolean stopped;
    private boolean paused;
    private WebSocket current;
    private WebSocket owedDemand;
    private long lastHeardNanos;
    private long pingSentNanos;
    private ScheduledFuture<?> watchdog;

    /**
     * @param path         the endpoint without a leading slash, e.g. {@code ws/notifications/alice}
     * @param initialSince the resume point of the very first connection ({@code 0} for a fresh user)
     * @param firstNode    index into {@code nodes} of the node to connect to first
     */
    public ResilientSession(String name, String path, List<HeraldNode> nodes, int firstNode, String initialSince,
                            ScheduledExecutorService scheduler) {
        this.name = name;
        this.path = path;
        this.nodes = List.copyOf(nodes);
        this.nodeIndex = firstNode;
        this.initialSince = initialSince;
        this.scheduler = scheduler;
    }

    public String name() {
        return name;
    }

    /** Opens the first connection (asynchronously) and starts the liveness watchdog. */
    public synchronized void start() {
        watchdog = scheduler.scheduleWithFixedDelay(this::checkAlive, 1, 1, TimeUnit.SECONDS);
        connect();
    }

    /** Stops reading: no more demand is signalled, so unread frames stay in the socket buffers. */
    public synchronized void pause() {
        paused = true;
    }

    /** Reads again (and answers the server's Close, if one is waiting behind the unread frames). */
    public void resume() {
        WebSocket owed;
        synchronized (this) {
            paused = false;
            owed = owedDemand;
            owedDemand = null;
            lastHeardNanos = System.nanoTime();
            pingSentNanos = 0; // a Ping sent before the pause could not be answered: judge afresh
        }
        if (owed != null) {
            owed.request(1);
        }
    }

    /** The scenario is over: no more reconnects; the open connection (if any) is closed with 1000. */
    public void stop() {
        WebSocket ws;
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
            generation++;
            ws = current;
            current = null;
            if (watchdog != null) {
                watchdog.cancel(false);
            }
        }
        if (ws != null) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "scenario over").orTimeout(2, TimeUnit.SECONDS)
                    .whenComplete((done, error) -> scheduler.schedule(ws::abort, 2, TimeUnit.SECONDS));
        }
    }

    public synchronized List<Frame> frames() {
        return List.copyOf(frames);
    }

    public synchronized boolean hasAll(Set<String> wanted) {
        return ids.containsAll(wanted);
    }

    public synchronized int received() {
        return frames.size();
    }

    public synchronized List<Closure> closures() {
        return List.copyOf(closures);
    }

    public synchronized boolean sawClose(int code) {
        return closures.stream().anyMatch(c -> c.code() == code);
    }

    /** Things that must not happen to a session (4410, 1008, frames that are not notifications). */
    public synchronized List<String> failures() {
        return List.copyOf(failures);
    }

    public synchronized int connections() {
        return connections;
    }

    public synchronized String lastId() {
        return lastId;
    }

    /** Handshakes that failed or timed out (a node down or booting): retried, not a failure. */
    public synchronized List<String> connectFailures() {
        return List.copyOf(connectFailures);
    }

    private synchronized void connect() {
        if (stopped) {
            return;
        }
        int gen = ++generation;
        HeraldNode node = nodes.get(nodeIndex);
        String since = lastId != null ? lastId : initialSince;
        // each user's own token (the broadcast endpoint takes any valid one), signed by the test key the nodes trust
        String user = path.startsWith("ws/notifications/") ? path.substring("ws/notifications/".length()) : "chaos-listener";
        URI uri = node.ws(path + "?token=" + TestTokens.token(user)
                + (since == null ? "" : "&since=" + URLEncoder.encode(since, StandardCharsets.UTF_8)));
        Http.client().newWebSocketBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .buildAsync(uri, new Listener(gen, node.name()))
                .orTimeout(OPEN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ws, error) -> {
                    if (error != null) {
                        connectFailed(gen, node, error);
                    } else {
                        opened(gen, ws);
                    }
                });
    }

    private void opened(int gen, WebSocket ws) {
        synchronized (this) {
            if (gen == generation && !stopped) {
                current = ws;
                connections++;
                failedAttempts = 0;
                lastHeardNanos = System.nanoTime();
                pingSentNanos = 0;
                return;
            }
        }
        ws.abort(); // a connection that completed after the client gave up on it, or after the scenario ended
    }

    private synchronized void connectFailed(int gen, HeraldNode node, Throwable error) {
        if (gen != generation || stopped) {
            return;
        }
        Throwable cause = error.getCause() != null ? error.getCause() : error;
        connectFailures.add(Instant.now() + " " + node.name() + ": " + cause);
        failedAttempts++;
        nodeIndex = nextNode();
        long backoff = Math.min(1000, 50L << Math.min(failedAttempts, 5));
        schedule(backoff + ThreadLocalRandom.current().nextLong(50));
    }

    /** The other node unless only the current one is available: alternating, and away from a node that is down. */
    private int nextNode() {
        int other = (nodeIndex + 1) % nodes.size();
        if (!nodes.get(other).isAvailable() && nodes.get(nodeIndex).isAvailable()) {
            return nodeIndex;
        }
        return other;
    }

    private void schedule(long delayMillis) {
        scheduler.schedule(this::connect, delayMillis, TimeUnit.MILLISECONDS);
    }

    /** Called once per connection, for a Close from the server, an error, or a connection given up on. */
    private synchronized void ended(int gen, int code, String reason, String node) {
        if (gen != generation || stopped) {
            return;
        }
        generation++; // later callbacks of this connection are ignored
        current = null;
        owedDemand = null;
        closures.add(new Closure(code, reason, node, Instant.now()));
        if (code == 4410 || code == 1008) {
            failures.add("closed with " + code + " (" + reason + ") on " + node + " after " + lastId + ": not retried");
            return;
        }
        nodeIndex = nextNode();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long delay = switch (code) {
            case 4429, 1013 -> 300 + random.nextLong(300);
            default -> 50 + random.nextLong(200);
        };
        schedule(delay);
    }

    /**
     * Every second: a connection that has been silent for a while gets a Ping; one that does not answer it
     * (no frame, no Pong) within {@link #PONG_TIMEOUT} is abandoned and replaced. Payara Micro 6.2025.10 now and
     * then leaves a connection hanging after another one is closed by the server (payara/Payara#5432). A paused
     * session is never judged: it is not reading, so it cannot hear the answer.
     */
    private void checkAlive() {
        WebSocket ws;
        int gen;
        String node;
        boolean abandon = false;
        synchronized (this) {
            ws = current;
            if (ws == null || stopped || paused) {
                return;
            }
            gen = generation;
            node = nodes.get(nodeIndex).name();
            long now = System.nanoTime();
            if (pingSentNanos != 0 && now - pingSentNanos > PONG_TIMEOUT.toNanos()) {
                abandon = true;
            } else if (pingSentNanos == 0 && now - lastHeardNanos > PING_AFTER_SILENCE.toNanos()) {
                pingSentNanos = now;
            } else {
                return;
            }
        }
        if (abandon) {
            ended(gen, HUNG, "no frame and no Pong for " + PONG_TIMEOUT.toSeconds() + " s after a Ping", node);
            ws.abort();
            return;
        }
        try {
            ws.sendPing(ByteBuffer.wrap(new byte[] {'?'}));
        } catch (IllegalStateException e) {
            // closing already: the close callback handles it
        }
    }

    private synchronized void heard(int gen) {
        if (gen == generation) {
            lastHeardNanos = System.nanoTime();
            pingSentNanos = 0;
        }
    }

    private void demand(int gen, WebSocket ws) {
        synchronized (this) {
            if (paused && gen == generation) {
                owedDemand = ws;
                return;
            }
        }
        ws.request(1);
    }

    private synchronized void record(int gen, String text) {
        if (gen != generation) {
            return;
        }
        JsonObject json;
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            json = reader.readObject();
        } catch (RuntimeException e) {
            failures.add("not a JSON object: " + abbreviate(text));
            return;
        }
        String id = json.getString("id", null);
        if (id == null) {
            failures.add("a frame without id: " + abbreviate(text));
            return;
        }
        frames.add(new Frame(id, number(json, "n"), number(json, "a"), json.getString("s", null), connections,
                System.currentTimeMillis()));
        ids.add(id);
        lastId = id;
    }

    private static long number(JsonObject json, String key) {
        JsonValue value = json.get(key);
        return value instanceof JsonNumber number ? number.longValue() : -1;
    }

    private static String abbreviate(String text) {
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }

    @Override
    public String toString() {
        return name;
    }

    private final class Listener implements WebSocket.Listener {
        private final int gen;
        private final String node;
        private final StringBuilder partial = new StringBuilder();

        Listener(int gen, String node) {
            this.gen = gen;
            this.node = node;
        }

        @Override
        public void onOpen(WebSocket ws) {
            demand(gen, ws);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                record(gen, partial.toString());
                partial.setLength(0);
            }
            heard(gen);
            demand(gen, ws);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            synchronized (ResilientSession.this) {
                failures.add("a binary frame on " + node);
            }
            demand(gen, ws);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
            heard(gen);
            demand(gen, ws);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
            heard(gen);
            demand(gen, ws);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            ended(gen, statusCode, reason, node);
            return null; // the JDK answers with the same Close
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            ended(gen, 1006, String.valueOf(error), node);
        }
    }
}
