package dev.herald.notification.control;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;

/**
 * Twice a second, has the broker remove the notifications that expired ({@link Broker#expireDue}): so an expired one
 * leaves history, replay and inbox within about a second (sockets never get it after its expiry: {@link Outbox}
 * drops it). Every node sweeps, so expiry goes on while any node runs; on Redis, sweeps overlap harmlessly.
 */
@ApplicationScoped
public class ExpirySweep {

    private static final System.Logger LOG = System.getLogger(ExpirySweep.class.getName());
    static final Duration PERIOD = Duration.ofMillis(500);

    private Broker broker;
    private HeraldThreads threads;
    private ScheduledFuture<?> task;
    /** Logs a failing broker once per outage, not twice a second. */
    private boolean failing;

    protected ExpirySweep() {
        // for CDI
    }

    @Inject
    ExpirySweep(Broker broker, HeraldThreads threads) {
        this.broker = broker;
        this.threads = threads;
    }

    void start() {
        task = threads.every(PERIOD, this::sweep);
    }

    private void sweep() {
        try {
            broker.expireDue(System.currentTimeMillis());
            if (failing) {
                LOG.log(Level.INFO, "Expiry sweep works again");
            }
            failing = false;
        } catch (RuntimeException e) { // not only BrokerUnavailableException: an exception escaping would end the schedule
            if (!failing) {
                LOG.log(Level.WARNING, "Expiry sweep failed; retried every " + PERIOD.toMillis() + " ms", e);
            }
            failing = true;
        }
    }

    @PreDestroy
    void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }
}
