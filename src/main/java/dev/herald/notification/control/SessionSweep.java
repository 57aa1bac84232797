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
 * expiry order {@link Outboxes} keeps; and those silent both ways longer than the idle timeout (1001),
 * scanned for at most 60 times per timeout.
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
    private long lastIdleScanNanos = System.nanoTime();
    private ScheduledFuture<?> task;

    protected SessionSweep() {
        // for CDI
    }

    @Inject
    SessionSweep(Outboxes outboxes, HeraldThreads threads,
                 @ConfigProperty(name = "herald.websocket.idle-timeout") Duration idleTimeout) {
        this.outboxes = outboxes;
        this.threads = threads;
        this.idleTimeout = idleTimeout;
    }

    /** For tests: sweeps only when {@link #sweep} is called. */
    SessionSweep(Outboxes outboxes, Duration idleTimeout) {
        this(outboxes, null, idleTimeout);
    }

    void start() {
        task = threads.every(Duration.ofSeconds(1), () -> sweep(Instant.now(), System.nanoTime()));
    }

    void sweep(Instant now, long nowNanos) {
        for (Outbox expired : outboxes.takeExpired(now)) {
            expired.close(CloseCode.TOKEN_EXPIRED, "token expired; reconnect with a fresh token and since");
        }
        if (idleTimeout.isZero() || idleTimeout.isNegative() || nowNanos - lastIdleScanNanos < idleTimeout.toNanos() / 60) {
            return;
        }
        lastIdleScanNanos = nowNanos;
        for (Outbox outbox : outboxes.all()) {
            if (outbox.idleLongerThan(idleTimeout, nowNanos)) {
                outbox.close(CloseCode.GOING_AWAY, "idle for " + idleTimeout.toSeconds() + " s; reconnect with since");
            }
        }
    }

    @PreDestroy
    void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }
}
