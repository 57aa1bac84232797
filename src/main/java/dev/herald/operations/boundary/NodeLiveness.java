package dev.herald.operations.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.control.Outboxes;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
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
    Outboxes sessions;

    private volatile boolean started;

    /**
     * Created inside the application at startup (Payara calls checks from its own servlet), after the broker
     * started: until then the node is starting, not dead, and the broker is not touched (see {@link BrokerHealth}).
     */
    void createAtStartup(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) @Initialized(ApplicationScoped.class) Object ignored) {
        started = true;
    }

    @Override
    public HealthCheckResponse call() {
        if (!started) {
            return HealthCheckResponse.named("herald").up().withData("sessions", 0).build();
        }
        return HealthCheckResponse.named("herald")
                .status(broker.isAlive())
                .withData("sessions", sessions.openSessions())
                .build();
    }
}
