package dev.herald.notification.boundary;

import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;

/** Every broadcast notification ({@code POST /notify}); {@code ?since=<id>} works here too. */
@ServerEndpoint("/ws/notifications")
public class BroadcastSocket {

    @Inject
    SocketSessions sessions;

    @OnOpen
    public void open(Session session) {
        sessions.open(session, null);
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
