package dev.herald.notification.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * What starts when the application does, in one place: live delivery from the broker into the node's
 * outboxes, the sweep that closes expired and idle sessions, and the one that removes expired notifications. (Stopping
 * is each bean's own {@code @PreDestroy}: {@link Outboxes} closes the sessions, the sweeps stop, the broker closes.)
 */
@ApplicationScoped
public class Startup {

    @Inject
    Broker broker;

    @Inject
    Outboxes outboxes;

    @Inject
    SessionSweep sweep;

    @Inject
    ExpirySweep expirySweep;

    void start(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        broker.start(outboxes);
        sweep.start();
        expirySweep.start();
    }
}
