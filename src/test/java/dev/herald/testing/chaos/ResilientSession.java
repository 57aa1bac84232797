package dev.herald.testing.chaos;

import dev.herald.testing.HeraldNode;
import dev.herald.testing.Http;
import dev.herald.testing.TestTokens;
import jakarta.json.Json;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
 * A session made with {@link #multiStream} carries several streams on one socket (issue 14: the user's, the
 * broadcast and groups): every frame must name one of them in {@code "stream"} and hold a {@code "cursor"}, and the
 * session resumes with {@code ?since=<cursor of the last frame received>}. A frame of a stream the socket did not
 * ask for, or without a cursor, is a failure; so is a {@code "stream"} or {@code "cursor"} on a one-stream socket,
 * whose frames must stay as they were. Its first connection has no {@code since} (every stream starts from then):
 * {@link #isLive()} says when the server has opened it. {@link #drop(boolean)} ends a connection from the client.
 * <p>
 * Records every frame's {@code id} and numbered fields ({@code n}, {@code a}, {@code s}) in arrival order,
 * duplicates included. Reading can be stopped ({@link #pause()}: no more demand, so frames pile up in the
 * TCP buffers and then on the server, as with a stalled client) and resumed. All scheduling is on the given
 * {@link ScheduledExecutorService}; nothing sleeps.
 */
public final class ResilientSession {

    /**
     * One received frame: the id within its stream, the publisher's fields (-1 / null when absent), and the
     * {@code "stream"} it names (null on a socket that carries one stream).
     */
    public record Frame(String id, long n, long attempt, String scenario, int connection, long receivedMillis, String stream) {
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
    /** Not a WebSocket close code: the client dropped the connection itself ({@link #drop(boolean)}). */
    public static final int DROPPED = 4998;

    private final String name;
    private final String path;
    private final List<HeraldNode> nodes;
    private final ScheduledExecutorService scheduler;
    private final String initialSince;
    /** The streams' frame names of a multi-stream session ({@code user}, {@code broadcast}, {@code group:<g>}); empty otherwise. */
    private final List<String> streams;
    /** The groups claim of the session's token. */
    private final List<String> grants;

    private final List<Frame> frames = new ArrayList<>();
    /** Ids received per stream ({@code ""} for a one-stream session): ids of different streams are unrelated. */
    private final Map<String, Set<String>> ids = new HashMap<>();
    private final List<Closure> closures = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final List<String> connectFailures = new ArrayList<>();
    private String lastId;
    private String lastCursor;
    private boolean heardOnCurrent;
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
        this(name, path, List.of(), List.of(), nodes, firstNode, initialSince, scheduler);
    }

    private ResilientSession(String name, String path, List<String> streams, List<String> grants, List<HeraldNode> nodes,
                             int firstNode, String initialSince, ScheduledExecutorService scheduler) {
        this.name = name;
        this.path = path;
        this.streams = List.copyOf(streams);
        this.grants = List.copyOf(grants);
        this.nodes = List.copyOf(nodes);
        this.nodeIndex = firstNode;
        this.initialSince = initialSince;
        this.scheduler = scheduler;
    }

    /**
     * A session of {@code user} on one socket carrying the user's stream, the broadcast stream and {@code groups}
     * ({@code ws/notifications/<user>?groups=…&broadcast=true}), with a token that grants those groups
     * ({@code group:<name>} in its groups claim).
     */
    public static ResilientSession multiStream(String name, String user, List<String> groups, List<HeraldNode> nodes,
                                               int firstNode, ScheduledExecutorService scheduler) {
        List<String> streams = new ArrayList<>(List.of("user", "broadcast"));
        groups.forEach(group -> streams.add("group:" + group));
        String path = "ws/notifications/" + user + "?broadcast=true"
                + (groups.isEmpty() ? "" : "&groups=" + URLEncoder.encode(String.join(",", groups), StandardCharsets.UTF_8));
        return new ResilientSession(name, path, streams, groups.stream().map(group -> "group:" + group).toList(), nodes,
                firstNode, null, scheduler);
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

    /** The frames of one stream (by its frame name), or all of them when {@code stream} is null. */
    public synchronized List<Frame> frames(String stream) {
        return stream == null ? List.copyOf(frames) : frames.stream().filter(frame -> stream.equals(frame.stream())).toList();
    }

    public synchronized boolean hasAll(Set<String> wanted) {
        return hasAll(null, wanted);
    }

    /** Whether every id of {@code wanted} arrived on {@code stream} (null: on the session's only stream). */
    public synchronized boolean hasAll(String stream, Set<String> wanted) {
        return ids.getOrDefault(stream == null ? "" : stream, Set.of()).containsAll(wanted);
    }

    /** The frame names of the streams a multi-stream session carries; empty for a one-stream session. */
    public List<String> streams() {
        return streams;
    }

    /**
     * Whether the current connection is open and the server has answered on it (a frame or the Pong to the Ping sent
     * on open): the server has run its {@code @OnOpen}, so whatever is published from now on is the socket's.
     */
    public synchronized boolean isLive() {
        return current != null && heardOnCurrent;
    }

    /**
     * Ends the current connection from the client's side, as a page that is reloaded ({@code abrupt} false: a Close
     * with 1000) or a network that fails ({@code abrupt}: the TCP connection is dropped), then reconnects as after any
     * other close, with {@code since=} the resume point of the last frame recorded. Frames still arriving on the old
     * connection are not recorded: the resume brings them. False when there was no open connection.
     */
    public boolean drop(boolean abrupt) {
        WebSocket ws;
        int gen;
        String node;
        synchronized (this) {
            ws = current;
            if (ws == null || stopped) {
                return false;
            }
            gen = generation;
            node = nodes.get(nodeIndex).name();
        }
        ended(gen, abrupt ? DROPPED : WebSocket.NORMAL_CLOSURE, abrupt ? "dropped by the client" : "closed by the client", node);
        if (abrupt) {
            ws.abort();
        } else {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "client goes").orTimeout(2, TimeUnit.SECONDS)
                    .whenComplete((done, error) -> scheduler.schedule(ws::abort, 2, TimeUnit.SECONDS));
        }
        return true;
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

    /** The resume point the next connection would use: the last cursor (multi-stream) or id received. */
    public synchronized String resumePoint() {
        return streams.isEmpty() ? lastId : lastCursor;
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
        String resume = resumePoint();
        String since = resume != null ? resume : initialSince;
        // each user's own token (the broadcast endpoint takes any valid one), signed by the test key the nodes trust
        String endpoint = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        String user = endpoint.startsWith("ws/notifications/") ? endpoint.substring("ws/notifications/".length()) : "chaos-listener";
        URI uri = node.ws(path + (path.contains("?") ? "&" : "?") + "token=" + TestTokens.token(user, grants.toArray(String[]::new))
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
                heardOnCurrent = false;
                if (streams.isEmpty()) {
                    return;
                }
            } else {
                ws.abort(); // a connection that completed after the client gave up on it, or after the scenario ended
                return;
            }
        }
        try {
            ws.sendPing(ByteBuffer.wrap(new byte[] {'!'})); // its Pong says the server has opened the session (isLive)
        } catch (IllegalStateException e) {
            // closing already: the close callback handles it
        }
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
            failures.add("closed with " + code + " (" + reason + ") on " + node + " after " + resumePoint() + ": not retried");
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
            heardOnCurrent = true;
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
        String stream = text(json, "stream");
        String cursor = text(json, "cursor");
        if (streams.isEmpty()) {
            if (json.containsKey("stream") || json.containsKey("cursor")) {
                failures.add("a one-stream socket's frame with \"stream\" or \"cursor\": " + abbreviate(text));
                return;
            }
        } else if (stream == null || cursor == null || cursor.isEmpty()) {
            failures.add("a multi-stream socket's frame without \"stream\" and \"cursor\": " + abbreviate(text));
            return;
        } else if (!streams.contains(stream)) {
            failures.add("a frame of " + stream + ", which this socket did not ask for " + streams + ": " + abbreviate(text));
            return;
        } else if (!cursor.matches("[A-Za-z0-9_.-]+")) {
            failures.add("a cursor that is not URL-safe: " + abbreviate(text));
        }
        frames.add(new Frame(id, number(json, "n"), number(json, "a"), json.getString("s", null), connections,
                System.currentTimeMillis(), stream));
        ids.computeIfAbsent(stream == null ? "" : stream, k -> new HashSet<>()).add(id);
        lastId = id;
        lastCursor = cursor;
    }

    private static String text(JsonObject json, String key) {
        return json.get(key) instanceof JsonString string ? string.getString() : null;
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
