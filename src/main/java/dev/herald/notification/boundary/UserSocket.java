package dev.herald.notification.boundary;

import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.PathParam;
import jakarta.websocket.server.ServerEndpoint;

/** Every notification for one user; {@code ?since=<id>} first replays what was stored after that id. */
@ServerEndpoint("/ws/notifications/{userId}")
public class UserSocket {

    @Inject
    SocketSessions sessions;

    @OnOpen
    public void open(Session session, @PathParam("userId") String userId) {
        sessions.open(session, userId);
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
