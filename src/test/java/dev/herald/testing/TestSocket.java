package dev.herald.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A WebSocket client for tests, on the JDK's {@link WebSocket}: whole text frames land in a queue that
 * tests read with a deadline, and the close (code and reason) is a future tests can assert on.
 * <p>
 * {@link #connect(URI)} returns only once the server has run its {@code @OnOpen}: after the handshake it
 * sends a Ping and waits for the Pong (or for the server's Close, when it refuses the session). Tyrus
 * (Payara, GlassFish) runs {@code @OnOpen} before it reads the first frame of a connection, so a publish
 * made after {@code connect} returns cannot race the server-side registration of the session.
 */
public final class TestSocket implements AutoCloseable {

    /** How a socket closed: the code and reason the server sent, or 1006 (abnormal) with the error. */
    public record Close(int code, String reason) {
    }

    /** The upgrade was refused (not 101), or the connection could not be made at all ({@code status} -1). */
    public static final class HandshakeFailure extends RuntimeException {
        private final int status;

        HandshakeFailure(URI uri, int status, Throwable cause) {
            super("WebSocket handshake with " + uri + " failed" + (status > 0 ? ": HTTP " + status : ": " + cause), cause);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** Put in the queue once, after the last frame: a reader that takes it knows no frame will ever follow. */
    private static final String CLOSED = new String("<closed>");

    private final URI uri;
    private final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final CompletableFuture<Void> ponged = new CompletableFuture<>();
    private final List<String> received = new ArrayList<>();
    private volatile WebSocket webSocket;

    private TestSocket(URI uri) {
        this.uri = uri;
    }

    /**
     * Opens a socket and returns once the server has accepted it (or closed it right away: then
     * {@link #closed()} is already complete). Throws {@link HandshakeFailure} when the upgrade fails.
     */
    public static TestSocket connect(URI uri) {
        return connect(uri, Map.of(), List.of());
    }

    /** As {@link #connect(URI)}, with request headers and offered subprotocols. */
    public static TestSocket connect(URI uri, Map<String, String> headers, List<String> subprotocols) {
        TestSocket socket = new TestSocket(uri);
        WebSocket ws;
        try {
            WebSocket.Builder builder = Http.client().newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT);
            headers.forEach(builder::header);
            if (!subprotocols.isEmpty()) {
                builder.subprotocols(subprotocols.get(0), subprotocols.subList(1, subprotocols.size()).toArray(String[]::new));
            }
            ws = builder
                    .buildAsync(uri, socket.new Listener())
                    .get(CONNECT_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            int status = cause instanceof WebSocketHandshakeException handshake ? handshake.getResponse().statusCode() : -1;
            throw new HandshakeFailure(uri, status, cause);
        } catch (TimeoutException e) {
            throw new HandshakeFailure(uri, -1, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HandshakeFailure(uri, -1, e);
        }
        socket.webSocket = ws;
        socket.awaitServerReady(ws);
        return socket;
    }

    /**
     * As a browser opens an inbox socket: offering subprotocol {@code herald.2} ({@code herald}'s frames plus the inbox's
     * control frames) with the token as a subprotocol {@code bearer.<token>}.
     */
    public static TestSocket connectHerald2(URI uri, String token) {
        return connect(uri, Map.of(), List.of("herald.2", "bearer." + token));
    }

    /** Asserts that the server refuses the upgrade with {@code status}; {@code what} names the attempt in the failure. */
    public static HandshakeFailure assertRefused(int status, URI uri, String what) {
        return assertRefused(status, uri, Map.of(), List.of(), what);
    }

    /** As {@link #assertRefused(int, URI, String)}, with request headers and offered subprotocols. */
    public static HandshakeFailure assertRefused(int status, URI uri, Map<String, String> headers, List<String> subprotocols,
                                                 String what) {
        HandshakeFailure failure = assertThrows(HandshakeFailure.class,
                () -> connect(uri, headers, subprotocols).close(), what + ": the handshake is refused");
        assertEquals(status, failure.status(), () -> what + ": " + failure.getMessage());
        return failure;
    }

    /**
     * Asserts that the server refuses the upgrade with {@code status} and a problem+json body ({@link Http#assertProblem}),
     * and returns that answer. The JDK's WebSocket client shows a refused upgrade's status but not its body, so the body
     * comes from the same request sent again as a plain GET carrying {@code Sec-WebSocket-Key} and
     * {@code Sec-WebSocket-Version} (the JDK's HTTP client may not send {@code Upgrade}), which Herald checks as a handshake.
     */
    public static Http.Reply assertRefusedWithProblem(int status, URI uri, String what) {
        assertRefused(status, uri, what);
        URI http = URI.create(uri.toString().replaceFirst("^ws", "http"));
        return Http.assertProblem(status, Http.send(HttpRequest.newBuilder(http).timeout(Http.TIMEOUT)
                .header("Sec-WebSocket-Key", Base64.getEncoder().encodeToString(new byte[16]))
                .header("Sec-WebSocket-Version", "13")
                .GET().build()), what + " (the refusal's body)");
    }

    /** The Ping/Pong round trip that proves the server's {@code @OnOpen} has returned. */
    private void awaitServerReady(WebSocket ws) {
        try {
            ws.sendPing(ByteBuffer.wrap("ready?".getBytes(StandardCharsets.US_ASCII)));
        } catch (IllegalStateException e) {
            // a Close from the server is being answered already: the close future tells the rest
        }
        try {
            CompletableFuture.anyOf(ponged, closed).get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            // the socket failed: closed() holds the error
        } catch (TimeoutException e) {
            ws.abort();
            throw new AssertionError("no Pong and no Close from " + uri + " within " + CONNECT_TIMEOUT
                    + " after the handshake", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    public URI uri() {
        return uri;
    }

    /** The subprotocol the server selected; empty for none. */
    public String subprotocol() {
        return webSocket.getSubprotocol();
    }

    /** Completes when the connection is closed, with the server's code and reason (or 1006). */
    public CompletableFuture<Close> closed() {
        return closed;
    }

    /** The close, waited for at most {@code timeout}; fails with what was received when it does not come. */
    public Close awaitClose(Duration timeout) {
        try {
            return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(uri + " was not closed within " + timeout + "; received " + received(), e);
        } catch (ExecutionException e) {
            throw new AssertionError(uri + " failed instead of closing", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The next whole text frame; fails when none arrives within {@code timeout} or the socket closed. */
    public String next(Duration timeout) {
        String frame = take(timeout);
        if (frame == null) {
            throw new AssertionError("no frame on " + uri + " within " + timeout + "; received so far " + received());
        }
        if (frame == CLOSED) {
            frames.add(CLOSED);
            throw new AssertionError("expected a frame but " + uri + " closed: " + describeClose() + "; received so far " + received());
        }
        record(frame);
        return frame;
    }

    /**
     * The next whole text frame if one arrives within {@code timeout} (zero: only one already here), else null; null too
     * once the socket closed and every frame before the close was taken ({@link #closed()} tells the two apart).
     */
    public String poll(Duration timeout) {
        String frame = take(timeout);
        if (frame == CLOSED) {
            frames.add(CLOSED);
            return null;
        }
        if (frame != null) {
            record(frame);
        }
        return frame;
    }

    /** The next entry of the queue (a frame, or {@link #CLOSED}, which the caller puts back), or null after {@code timeout}. */
    private String take(Duration timeout) {
        try {
            return frames.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for a frame on " + uri, e);
        }
    }

    /** Sends one text frame and waits until it is written. */
    public void sendText(String text) {
        try {
            webSocket.sendText(text, true).get(CONNECT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("sending to " + uri + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Fails if a frame (or the close) arrives within {@code window}. */
    public void assertNothingWithin(Duration window) {
        String frame;
        try {
            frame = frames.poll(window.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        if (frame == CLOSED) {
            frames.add(CLOSED);
            throw new AssertionError("expected nothing on " + uri + " but it closed: " + describeClose());
        }
        if (frame != null) {
            record(frame);
            throw new AssertionError("expected nothing on " + uri + " within " + window + " but received " + frame);
        }
    }

    /** Every frame handed out by {@link #next} so far, for failure messages. */
    public synchronized List<String> received() {
        return List.copyOf(received);
    }

    private synchronized void record(String frame) {
        received.add(frame);
    }

    private String describeClose() {
        return closed.handle((close, error) -> close != null ? close.code() + " " + close.reason() : String.valueOf(error))
                .getNow("not closed");
    }

    /** Client-initiated close (1000), waiting briefly for the server's answer; aborts if it does not come. */
    @Override
    public void close() {
        WebSocket ws = webSocket;
        if (ws == null || closed.isDone()) {
            return;
        }
        try {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "test done").get(5, TimeUnit.SECONDS);
            closed.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            // the connection is going away either way
        } finally {
            ws.abort();
        }
    }

    @Override
    public String toString() {
        return "TestSocket[" + uri + "]";
    }

    /** Requests one message at a time, and the next only once the current one is fully handled. */
    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket ws) {
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data); // copied: the JDK may reuse data once this returns
            if (last) {
                frames.add(partial.toString());
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            frames.add("<binary frame of " + data.remaining() + " bytes>");
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
            ws.request(1); // the JDK answers the Ping itself
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
            ponged.complete(null);
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            // returning null lets the JDK answer with the same Close and release the connection
            if (closed.complete(new Close(statusCode, reason))) {
                frames.add(CLOSED);
            }
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            if (closed.complete(new Close(1006, "error: " + error))) {
                frames.add(CLOSED);
            }
        }
    }
}
