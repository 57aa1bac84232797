package dev.herald.notification.boundary;

import dev.herald.security.boundary.HandshakeConfigurator;
import dev.herald.security.boundary.HandshakeTokens;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.nio.ByteBuffer;

/**
 * Every broadcast notification ({@code POST /notify}); {@code ?since=<id>} works here too. One instance
 * per connection (the container's default), holding that connection's {@link SocketPeer}.
 */
@Dependent // a bean-defining annotation: Open Liberty injects into endpoints with a custom configurator only then
@ServerEndpoint(value = "/ws/notifications", configurator = HandshakeConfigurator.class,
        subprotocols = {HandshakeTokens.SUBPROTOCOL, HandshakeTokens.INBOX_SUBPROTOCOL})
public class BroadcastSocket {

    @Inject
    Sockets sockets;

    private volatile SocketPeer peer;

    @OnOpen
    public void open(Session session) {
        peer = sockets.open(session, null);
    }

    @OnMessage
    public void message(String part, boolean last) {
        peer.received(part.length(), last);
    }

    /** Binary messages count like text ones (without a handler the container fails the session with 1011). */
    @OnMessage
    public void message(ByteBuffer part, boolean last) {
        peer.received(part.remaining(), last);
    }

    @OnClose
    public void close(CloseReason reason) {
        sockets.closed(peer, reason);
    }

    @OnError
    public void error(Throwable error) {
        if (peer != null) {
            peer.failed(error);
        }
    }
}
