package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker;
import jakarta.enterprise.context.ApplicationScoped;
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
    @ConfigProperty(name = "herald.broker")
    String engine;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("broker")
                .status(broker.isReady())
                .withData("engine", engine)
                .build();
    }
}
