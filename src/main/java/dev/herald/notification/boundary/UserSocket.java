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
import jakarta.websocket.server.PathParam;
import jakarta.websocket.server.ServerEndpoint;

/** Every notification for one user; {@code ?since=<id>} first replays what was stored after that id. */
@Dependent // a bean-defining annotation: Open Liberty injects into endpoints with a custom configurator only then
@ServerEndpoint(value = "/ws/notifications/{userId}", configurator = HandshakeConfigurator.class,
        subprotocols = HandshakeTokens.SUBPROTOCOL)
public class UserSocket {

    @Inject
    SocketSessions sessions;

    @OnOpen
    public void open(Session session, @PathParam("userId") String userId) {
        sessions.open(session, userId);
    }

    /** Clients have nothing to say: what they send is counted against herald.websocket.max-frame-bytes and dropped. */
    @OnMessage
    public void message(Session session, String part, boolean last) {
        sessions.received(session, part.length(), last);
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        sessions.closed(session, reason);
    }

    @OnError
    public void error(Session session, Throwable error) {
        sessions.failed(session, error);
    }
}
