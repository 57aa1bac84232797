package dev.herald.notification.boundary;

import dev.herald.notification.control.BrokerUnavailableException;
import dev.herald.notification.control.HeraldThreads;
import dev.herald.notification.control.HistoryGapException;
import dev.herald.notification.control.Outbox;
import dev.herald.notification.control.Outboxes;
import dev.herald.notification.control.Telemetry;
import dev.herald.notification.entity.CloseCode;
import dev.herald.security.boundary.HandshakeConfigurator;
import dev.herald.security.boundary.HandshakeTokens;
import dev.herald.security.entity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.lang.System.Logger.Level;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** What both WebSocket endpoints do when a session opens and closes: check it, register its outbox, forget it. */
@ApplicationScoped
public class Sockets {

    private static final System.Logger LOG = System.getLogger(Sockets.class.getName());

    @Inject
    SocketStreams streams;

    @Inject
    Outboxes outboxes;

    @Inject
    Telemetry telemetry;

    @Inject
    HeraldThreads threads;

    @Inject
    @ConfigProperty(name = "herald.websocket.queue-size")
    int queueSize;

    @Inject
    @ConfigProperty(name = "herald.websocket.queue-bytes")
    long queueBytes;

    /**
     * Enforced by the outbox and the sweep, not by {@code RemoteEndpoint.Async.setSendTimeout}: Tyrus 2.1.5 (Payara)
     * ignores that, and where a container does enforce it the failed send would close as 1011 "error", not as slow.
     */
    @Inject
    @ConfigProperty(name = "herald.websocket.send-timeout")
    Duration sendTimeout;

    @Inject
    @ConfigProperty(name = "herald.websocket.max-frame-bytes")
    int maxFrameBytes;

    /**
     * Registers the session on the streams it asks for, caught up from {@code since}; or closes it with the code that says why
     * not. {@link HandshakeFilter} has refused bad handshakes with an HTTP status already: the checks here are the
     * second line.
     *
     * @param userId the path's user, or null on the broadcast endpoint
     */
    SocketPeer open(Session session, String userId) {
        SocketPeer peer = new SocketPeer(session, threads.background(), telemetry, maxFrameBytes);
        if (!(session.getUserProperties().get(HandshakeConfigurator.CALLER) instanceof Caller caller)) {
            peer.closeNow(CloseCode.POLICY_VIOLATION, "no valid token for this stream");
            return peer;
        }
        SocketStreams.Request wanted;
        try {
            wanted = streams.read(userId, session.getRequestParameterMap()::get, caller);
        } catch (SocketStreams.NotOpenException e) {
            peer.closeNow(CloseCode.POLICY_VIOLATION, "no valid token for this stream");
            return peer;
        } catch (IllegalArgumentException e) {
            LOG.log(Level.DEBUG, "Refused session {0}: {1}", session.getId(), e.getMessage());
            peer.closeNow(CloseCode.POLICY_VIOLATION, e.getMessage());
            return peer;
        }
        session.setMaxTextMessageBufferSize(maxFrameBytes);
        session.setMaxBinaryMessageBufferSize(maxFrameBytes);
        if (outboxes.isClosing()) {
            peer.closeNow(CloseCode.GOING_AWAY, "server shutting down; connect to another node");
            return peer;
        }
        TyrusIdleTimer.apply(session); // before the outbox exists, so the sender threads see it
        try {
            // herald.2 adds the inbox's control frames (only where the socket carries the user's stream); "herald"
            // clients see exactly the frames they always did
            boolean hearsInbox = HandshakeTokens.INBOX_SUBPROTOCOL.equals(session.getNegotiatedSubprotocol());
            Outbox outbox = outboxes.open(wanted.streams(), wanted.since(), peer, new Outbox.Limits(queueSize, queueBytes, sendTimeout),
                    caller.expiresAt(), hearsInbox);
            peer.attach(outbox);
            if (!session.isOpen()) {
                outboxes.unregister(outbox);
            }
            LOG.log(Level.DEBUG, "Session {0} opened on {1}{2}", session.getId(), wanted.describe(),
                    wanted.since().isEmpty() ? "" : " since " + wanted.since());
        } catch (HistoryGapException e) {
            LOG.log(Level.DEBUG, "Refused session {0} on {1}: {2}", session.getId(), wanted.describe(), e.getMessage());
            peer.closeNow(CloseCode.HISTORY_GAP, e.getMessage());
        } catch (BrokerUnavailableException e) {
            LOG.log(Level.WARNING, "Refused session {0} on {1}: {2}", session.getId(), wanted.describe(), e.getMessage());
            peer.closeNow(CloseCode.TRY_AGAIN_LATER, "broker unavailable; reconnect later");
        }
        return peer;
    }

    void closed(SocketPeer peer, CloseReason reason) {
        CloseCode code = CloseCode.of(reason.getCloseCode().getCode());
        telemetry.sessionClosed(code);
        Outbox outbox = peer == null ? null : peer.outbox();
        if (outbox != null) {
            outboxes.unregister(outbox);
            LOG.log(Level.DEBUG, "Session {0} on {1} closed: {2} {3}", peer.session().getId(), outbox.streams(),
                    String.valueOf(reason.getCloseCode().getCode()), reason.getReasonPhrase());
        }
    }
}
