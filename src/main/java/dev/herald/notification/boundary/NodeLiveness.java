package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.control.SessionRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * {@code /health/live}: DOWN only when this node can never deliver again without a restart (its
 * subscriber loop ended). A Redis outage is not a liveness failure: readiness covers it, and restarting
 * the node would not bring Redis back.
 */
@Liveness
@ApplicationScoped
public class NodeLiveness implements HealthCheck {

    @Inject
    Broker broker;

    @Inject
    SessionRegistry sessions;

    /** Created inside the application at startup: Payara calls checks from its own servlet. */
    void createAtStartup(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        // observing the event is what makes CDI create the bean now
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("herald")
                .status(broker.isAlive())
                .withData("sessions", sessions.openSessions())
                .build();
    }
}
