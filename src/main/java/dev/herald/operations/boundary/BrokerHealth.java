package dev.herald.operations.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.control.Outboxes;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
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
    Outboxes sessions;

    @Inject
    @ConfigProperty(name = "herald.broker")
    String engine;

    /** Set once the broker has been started inside the application (see {@link #createAtStartup}). */
    private volatile boolean started;

    /**
     * Creates this bean at startup, inside the application: Payara calls health checks from its own
     * {@code /health} servlet, where the application's config is not visible and injecting
     * {@code @ConfigProperty} would fail (/health answered 500). Observed after {@code Startup} started
     * the broker: WildFly probes checks from its management thread while the deployment is still starting, and
     * creating the broker there fails (its executor is looked up in the application's JNDI namespace).
     */
    void createAtStartup(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) @Initialized(ApplicationScoped.class) Object ignored) {
        started = true;
    }

    @Override
    public HealthCheckResponse call() {
        if (!started) {
            return HealthCheckResponse.named("broker").down().withData("starting", true).build();
        }
        return HealthCheckResponse.named("broker")
                .status(broker.isReady() && !sessions.isClosing())
                .withData("engine", engine)
                .build();
    }
}
