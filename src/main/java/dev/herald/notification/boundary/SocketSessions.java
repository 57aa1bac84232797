package dev.herald.notification.boundary;

import dev.herald.notification.control.BrokerProducer;
import dev.herald.notification.control.BrokerUnavailableException;
import dev.herald.notification.control.HistoryGapException;
import dev.herald.notification.control.Outbox;
import dev.herald.notification.control.SessionRegistry;
import dev.herald.notification.control.Telemetry;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import dev.herald.security.boundary.HandshakeConfigurator;
import dev.herald.security.entity.Caller;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** What both WebSocket endpoints do with a session: validate it, register it, close it with a clear code. */
@ApplicationScoped
public class SocketSessions {

    private static final System.Logger LOG = System.getLogger(SocketSessions.class.getName());
    private static final String OUTBOX = Outbox.class.getName();
    private static final String INBOUND = "herald.inbound-length";
    static final int POLICY_VIOLATION = CloseReason.CloseCodes.VIOLATED_POLICY.getCode();

    @Inject
    SessionRegistry registry;

    @Inject
    Telemetry telemetry;

    @Inject
    @ConfigProperty(name = "herald.websocket.queue-size")
    int queueSize;

    @Inject
    @ConfigProperty(name = "herald.websocket.queue-bytes")
    long queueBytes;

    @Inject
    @ConfigProperty(name = "herald.websocket.send-timeout")
    Duration sendTimeout;


    @Inject
    @ConfigProperty(name = "herald.websocket.max-frame-bytes")
    int maxFrameBytes;

    @Resource(lookup = BrokerProducer.EXECUTOR)
    ManagedExecutorService executor;

    /** @param userId the path's user, or null on the broadcast endpoint */
    void open(Session session, String userId) {
        Stream stream;
        NotificationId since;
        try {
            stream = userId == null ? Stream.BROADCAST : Stream.user(userId);
            since = since(session);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.INFO, "Refused session {0}: {1}", session.getId(), e.getMessage());
            close(session, POLICY_VIOLATION, e.getMessage());
            return;
        }
        if (!(session.getUserProperties().get(HandshakeConfigurator.CALLER) instanceof Caller caller)
                || !stream.isBroadcast() && !stream.userId().equals(caller.userId())) {
            // HandshakeFilter refuses these with 401/403 before the upgrade; this is the second line
            close(session, POLICY_VIOLATION, "no valid token for this stream");
            return;
        }
        session.setMaxTextMessageBufferSize(maxFrameBytes);
        session.setMaxBinaryMessageBufferSize(maxFrameBytes);
        if (registry.isClosing()) {
            close(session, Outbox.GOING_AWAY, "server shutting down; connect to another node");
            return;
        }
        session.getAsyncRemote().setSendTimeout(sendTimeout.toMillis());
        try {
            Outbox outbox = registry.open(stream, since, new SessionPeer(session, executor, telemetry),
                    new Outbox.Limits(queueSize, queueBytes), caller.expiresAt());
            session.getUserProperties().put(OUTBOX, outbox);
            if (!session.isOpen()) {
                registry.unregister(outbox);
            }
            LOG.log(Level.INFO, "Session {0} opened on {1}{2}", session.getId(), stream.name(),
                    since == null ? "" : " since " + since);
        } catch (HistoryGapException e) {
            LOG.log(Level.INFO, "Refused session {0} on {1}: {2}", session.getId(), stream.name(), e.getMessage());
            close(session, Outbox.HISTORY_GAP, e.getMessage());
        } catch (BrokerUnavailableException e) {
            LOG.log(Level.WARNING, "Refused session {0} on {1}: {2}", session.getId(), stream.name(), e.getMessage());
            close(session, Outbox.TRY_AGAIN_LATER, "broker unavailable; reconnect later");
        }
    }

    private static NotificationId since(Session session) {
        List<String> values = session.getRequestParameterMap().get("since");
        if (values == null || values.isEmpty()) {
            return null;
        }
        try {
            return NotificationId.parse(values.get(0));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("since: " + e.getMessage());
        }
    }

    /**
     * Counts an inbound message's parts, closing with 1009 once it is larger than
     * {@code herald.websocket.max-frame-bytes} (containers differ in whether they enforce
     * {@code setMaxTextMessageBufferSize}; Tyrus does not for this handler).
     */
    void received(Session session, int length, boolean last) {
        Map<String, Object> properties = session.getUserProperties();
        if (properties.get(OUTBOX) instanceof Outbox outbox) {
            outbox.touch();
        }
        int total = (int) properties.getOrDefault(INBOUND, 0) + length;
        if (total > maxFrameBytes) {
            properties.remove(INBOUND);
            close(session, CloseReason.CloseCodes.TOO_BIG.getCode(), "messages are limited to " + maxFrameBytes + " bytes");
        } else {
            properties.put(INBOUND, last ? 0 : total);
        }
    }

    void closed(Session session, CloseReason reason) {
        int code = reason.getCloseCode().getCode();
        telemetry.sessionClosed(closeReason(code));
        if (session.getUserProperties().remove(OUTBOX) instanceof Outbox outbox) {
            registry.unregister(outbox);
            LOG.log(Level.INFO, "Session {0} on {1} closed: {2} {3}", session.getId(), outbox.stream().name(),
                    String.valueOf(code), reason.getReasonPhrase());
        }
    }

    /** The metric's reason for a close code: a fixed, small set (README, "Metrics"). */
    static String closeReason(int code) {
        return switch (code) {
            case 1000, 1001, 1005 -> "normal";
            case 1008, 1009 -> "invalid";
            case Outbox.TOKEN_EXPIRED -> "expired";
            case 1013 -> "unavailable";
            case Outbox.HISTORY_GAP -> "gap";
            case Outbox.SLOW_CONSUMER -> "slow";
            default -> "error";
        };
    }

    void failed(Session session, Throwable error) {
        LOG.log(Level.DEBUG, "Session " + session.getId() + " failed", error);
        if (session.getUserProperties().get(OUTBOX) instanceof Outbox outbox) {
            outbox.close(1011, "connection error");
        }
    }

    static void close(Session session, int code, String reason) {
        if (!session.isOpen()) {
            return;
        }
        try {
            session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), fitReason(reason)));
        } catch (IOException | IllegalStateException e) {
            LOG.log(Level.DEBUG, "Closing session " + session.getId() + " failed", e);
        }
    }

    /** A close reason is limited to 123 bytes of UTF-8. */
    private static String fitReason(String reason) {
        String fitted = reason;
        while (fitted.getBytes(StandardCharsets.UTF_8).length > 123) {
            fitted = fitted.substring(0, fitted.length() - 1);
        }
        return fitted;
    }

    /** Sends through the session's async remote; closes on the managed executor, never on the caller's thread. */
    private record SessionPeer(Session session, Executor executor, Telemetry telemetry) implements Outbox.Peer {

        /**
         * Sends under the platform class loader: Tyrus schedules an idle timer on every send, and Payara captures
         * the thread's context for that task with a ServiceLoader scan of the context class loader, which against
         * the application's loader was a tenth of the server's CPU in a profile (a JDK module lookup instead).
         */
        @Override
        public void send(Notification notification, Consumer<Throwable> done) {
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(ClassLoader.getPlatformClassLoader());
            try {
                session.getAsyncRemote().sendText(notification.frame(), result -> {
                    if (result.isOK()) {
                        telemetry.delivered(notification);
                        done.accept(null);
                    } else {
                        done.accept(result.getException());
                    }
                });
            } catch (IllegalStateException e) {
                done.accept(e);
            } finally {
                thread.setContextClassLoader(previous);
            }
        }

        @Override
        public void close(int code, String reason) {
            try {
                executor.execute(() -> SocketSessions.close(session, code, reason));
            } catch (RejectedExecutionException e) {
                SocketSessions.close(session, code, reason);
            }
        }
    }
}
