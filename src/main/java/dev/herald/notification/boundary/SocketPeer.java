package dev.herald.notification.boundary;

import dev.herald.notification.control.Outbox;
import dev.herald.notification.control.Telemetry;
import dev.herald.notification.entity.CloseCode;
import dev.herald.notification.entity.Notification;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The boundary side of one connection, owned by its endpoint instance: writes the outbox's frames to the socket,
 * closes it with a code, and counts what the client sends.
 */
final class SocketPeer implements Outbox.Peer {

    private static final System.Logger LOG = System.getLogger(SocketPeer.class.getName());
    private static final ClassLoader PLATFORM = ClassLoader.getPlatformClassLoader();

    private final Session session;
    private final Executor closer;
    private final Telemetry telemetry;
    private final int maxFrameBytes;
    private volatile Outbox outbox;
    /** The inbound message's length so far: only the container's one reading thread changes it. */
    private int inboundLength;

    SocketPeer(Session session, Executor closer, Telemetry telemetry, int maxFrameBytes) {
        this.session = session;
        this.closer = closer;
        this.telemetry = telemetry;
        this.maxFrameBytes = maxFrameBytes;
    }

    Session session() {
        return session;
    }

    /** The registered outbox, or null while (or if never) registered. */
    Outbox outbox() {
        return outbox;
    }

    void attach(Outbox registered) {
        outbox = registered;
    }

    /**
     * Sends under the platform class loader: Tyrus schedules an idle timer on every send (unless
     * {@link TyrusIdleTimer} applies), and Payara captures the thread's context for that task with a ServiceLoader
     * scan of the context class loader, which against the application's loader was a tenth of the server's CPU in a
     * profile (a JDK module lookup instead). Herald's sender threads already run under it; a send continued on the
     * container's completion thread, or started from a catch-up, does not.
     */
    @Override
    public void send(Notification notification, String frame, Consumer<Throwable> done) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        boolean swap = previous != PLATFORM;
        if (swap) {
            thread.setContextClassLoader(PLATFORM);
        }
        try {
            session.getAsyncRemote().sendText(frame, result -> {
                if (result.isOK()) {
                    if (notification != null) { // a control frame is no notification delivered
                        telemetry.delivered(notification);
                    }
                    done.accept(null);
                } else {
                    done.accept(result.getException());
                }
            });
        } catch (IllegalStateException e) {
            done.accept(e);
        } finally {
            if (swap) {
                thread.setContextClassLoader(previous);
            }
        }
    }

    /** Closes on Herald's executor, never on the caller's thread (the subscriber's, or a sender's). */
    @Override
    public void close(CloseCode code, String reason) {
        try {
            closer.execute(() -> closeNow(code, reason));
        } catch (RejectedExecutionException e) {
            closeNow(code, reason);
        }
    }

    void closeNow(CloseCode code, String reason) {
        if (!session.isOpen()) {
            return;
        }
        try {
            session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code.code()), fitReason(reason)));
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

    /**
     * Counts an inbound message's parts, closing with 1009 once it is larger than
     * {@code herald.websocket.max-frame-bytes} (containers differ in whether they enforce
     * {@code setMaxTextMessageBufferSize}; Tyrus does not for this handler). Clients have nothing to say:
     * what they send only counts as activity.
     */
    void received(int length, boolean last) {
        Outbox current = outbox;
        if (current != null) {
            current.touch();
        }
        int total = inboundLength + length;
        if (total > maxFrameBytes) {
            inboundLength = 0;
            closeNow(CloseCode.TOO_BIG, "messages are limited to " + maxFrameBytes + " bytes");
        } else {
            inboundLength = last ? 0 : total;
        }
    }

    void failed(Throwable error) {
        LOG.log(Level.DEBUG, "Session " + session.getId() + " failed", error);
        Outbox current = outbox;
        if (current != null) {
            current.close(CloseCode.ERROR, "connection error");
        }
    }
}
