package dev.herald.notification.control;

import dev.herald.notification.entity.CloseCode;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Once a second, closes the sessions whose token has expired (4401): only those, found at the head of the
 * expiry order {@link Outboxes} keeps. Less often, it scans every session: for those silent both ways longer than
 * the idle timeout (1001), at most 60 times per timeout, and for those with a frame in flight longer than the send
 * timeout (4429, too slow), twice per send timeout.
 */
@ApplicationScoped
public class SessionSweep {

    private Outboxes outboxes;
    private HeraldThreads threads;
    /**
     * Checked here rather than with Session.setMaxIdleTimeout: Tyrus reschedules its idle task on every frame,
     * and with a timeout set each replaced task stays queued in Payara's scheduled executor until it would have
     * run (cancelled tasks are not removed): tens of thousands a second under load. The sweep scans every session
     * for it only once per 1/60 of the timeout (a minute for the default hour): a scan costs about 2 µs a session,
     * which once a second was most of an idle node's CPU.
     */
    private Duration idleTimeout;
    /**
     * Checked here (and by {@link Outbox} whenever another frame is queued behind the one in flight) rather than
     * with a timer per frame, and not left to the container: Tyrus 2.1.5 ignores {@code setSendTimeout}. A session
     * whose frame is stuck is closed between one and one and a half send timeouts after the frame went out.
     */
    private Duration sendTimeout;
    private long lastIdleScanNanos = System.nanoTime();
    private long lastSendScanNanos = System.nanoTime();
    private ScheduledFuture<?> task;

    protected SessionSweep() {
        // for CDI
    }

    @Inject
    SessionSweep(Outboxes outboxes, HeraldThreads threads,
                 @ConfigProperty(name = "herald.websocket.idle-timeout") Duration idleTimeout,
                 @ConfigProperty(name = "herald.websocket.send-timeout") Duration sendTimeout) {
        this.outboxes = outboxes;
        this.threads = threads;
        this.idleTimeout = idleTimeout;
        this.sendTimeout = sendTimeout;
    }

    /** For tests: sweeps only when {@link #sweep} is called. */
    SessionSweep(Outboxes outboxes, Duration idleTimeout, Duration sendTimeout) {
        this(outboxes, null, idleTimeout, sendTimeout);
    }

    void start() {
        task = threads.every(Duration.ofSeconds(1), () -> sweep(Instant.now(), System.nanoTime()));
    }

    void sweep(Instant now, long nowNanos) {
        for (Outbox expired : outboxes.takeExpired(now)) {
            expired.close(CloseCode.TOKEN_EXPIRED, "token expired; reconnect with a fresh token and since");
        }
        boolean idleScan = isPositive(idleTimeout) && nowNanos - lastIdleScanNanos >= idleTimeout.toNanos() / 60;
        boolean sendScan = isPositive(sendTimeout) && nowNanos - lastSendScanNanos >= sendTimeout.toNanos() / 2;
        if (!idleScan && !sendScan) {
            return;
        }
        if (idleScan) {
            lastIdleScanNanos = nowNanos;
        }
        if (sendScan) {
            lastSendScanNanos = nowNanos;
        }
        for (Outbox outbox : outboxes.all()) {
            if (sendScan) {
                outbox.closeIfSendTimedOut(nowNanos);
            }
            if (idleScan && outbox.idleLongerThan(idleTimeout, nowNanos)) {
                outbox.close(CloseCode.GOING_AWAY, "idle for " + idleTimeout.toSeconds() + " s; reconnect with since");
            }
        }
    }

    private static boolean isPositive(Duration duration) {
        return !duration.isZero() && !duration.isNegative();
    }

    @PreDestroy
    void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }
}
