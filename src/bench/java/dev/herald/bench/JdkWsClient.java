package dev.herald.bench;

import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Receivers on the JDK's java.net.http WebSocket, the default client ({@code bench.client=jdk}): one HttpClient
 * (one selector thread) holds every socket. Reading is paused by not requesting more messages, which stops the
 * JDK from reading the TCP socket. It cannot bind a source address ({@link NioWsClient} says where that matters).
 */
final class JdkWsClient implements Ws.Client {

    private final OwnHttpClient http = new OwnHttpClient("jdk-ws", Duration.ofSeconds(20));
    private final HttpClient client = http.client();

    @Override
    public String name() {
        return "jdk";
    }

    @Override
    public CompletableFuture<Ws.Conn> connect(URI uri, Map<String, String> headers, InetAddress local, Ws.Handler handler) {
        if (local != null) {
            throw new UnsupportedOperationException("java.net.http cannot bind a source address: use bench.client=nio");
        }
        Conn conn = new Conn(handler);
        WebSocket.Builder builder = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(20));
        headers.forEach(builder::header);
        return builder.buildAsync(uri, conn).thenCompose(ws -> {
            conn.ws = ws;
            ws.sendPing(ByteBuffer.wrap(new byte[] {'r'}));
            return CompletableFuture.anyOf(conn.ponged, conn.closed).thenApply(x -> (Ws.Conn) conn);
        });
    }

    @Override
    public void close() {
        http.close();
    }

    private static final class Conn implements Ws.Conn, WebSocket.Listener {
        private final Ws.Handler handler;
        private final StringBuilder partial = new StringBuilder();
        final CompletableFuture<Void> ponged = new CompletableFuture<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        volatile WebSocket ws;
        private volatile boolean paused;
        private boolean wanting; // guarded by this: a message was not requested because of the pause

        Conn(Ws.Handler handler) {
            this.handler = handler;
        }

        private void next(WebSocket socket) {
            synchronized (this) {
                if (paused) {
                    wanting = true;
                    return;
                }
            }
            socket.request(1);
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            if (last && partial.length() == 0) {
                handler.onText(this, data);
            } else {
                partial.append(data);
                if (last) {
                    handler.onText(this, partial);
                    partial.setLength(0);
                }
            }
            next(webSocket);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            next(webSocket);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            next(webSocket);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            ponged.complete(null);
            next(webSocket);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            if (closed.complete(statusCode)) {
                handler.onClose(this, statusCode, reason);
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            if (closed.complete(1006)) {
                handler.onClose(this, 1006, String.valueOf(error));
            }
        }

        @Override
        public void pause() {
            paused = true;
        }

        @Override
        public void resume() {
            boolean request;
            synchronized (this) {
                paused = false;
                request = wanting;
                wanting = false;
            }
            if (request && ws != null) {
                ws.request(1);
            }
        }

        @Override
        public void close() {
            WebSocket socket = ws;
            if (socket == null || closed.isDone()) {
                return;
            }
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bench done")
                    .orTimeout(5, TimeUnit.SECONDS)
                    .whenComplete((x, e) -> {
                        socket.abort();
                        if (closed.complete(1000)) {
                            handler.onClose(this, 1000, "closed by bench");
                        }
                    });
        }

        @Override
        public CompletableFuture<Integer> closed() {
            return closed;
        }
    }
}
