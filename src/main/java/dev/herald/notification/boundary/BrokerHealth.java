package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.control.SessionRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Herald's {@code /health}: a readiness check in MicroProfile Health, so the server's own
 * {@code /health} and {@code /health/ready} answer 503 naming the broker when it is down.
 */
@Readiness
@ApplicationScoped
public class BrokerHealth implements HealthCheck {

    @Inject
    Broker broker;

    @Inject
    SessionRegistry sessions;

    @Inject
    @ConfigProperty(name = "herald.broker")
    String engine;

    /**
     * Creates this bean at startup, inside the application: Payara calls health checks from its own
     * {@code /health} servlet, where the application's config is not visible and injecting
     * {@code @ConfigProperty} would fail (/health answered 500).
     */
    void createAtStartup(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        // observing the event is what makes CDI create the bean now
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("broker")
                .status(broker.isReady() && !sessions.isClosing())
                .withData("engine", engine)
                .build();
    }
}
