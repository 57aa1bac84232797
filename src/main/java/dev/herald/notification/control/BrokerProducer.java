package dev.herald.notification.control;

import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorDefinition;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedExecutors;
import jakarta.enterprise.concurrent.ManagedTask;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLSocketFactory;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Chooses the engine named by {@code herald.broker}: one broker per node, closed on undeploy. Herald's
 * threads (the Redis subscriber, catch-ups, closes) come from its own managed executor, so the
 * subscriber never competes with other applications for the server's default pool.
 */
@ApplicationScoped
@ManagedExecutorDefinition(name = BrokerProducer.EXECUTOR, maxAsync = 16)
public class BrokerProducer {

    public static final String EXECUTOR = "java:app/concurrent/herald";

    private static final System.Logger LOG = System.getLogger(BrokerProducer.class.getName());

    @Inject
    @ConfigProperty(name = "herald.broker")
    String engine;

    @Inject
    @ConfigProperty(name = "herald.redis.uri")
    URI redisUri;

    @Inject
    @ConfigProperty(name = "herald.redis.subscriber-uri")
    Optional<URI> subscriberUri;

    @Inject
    @ConfigProperty(name = "herald.redis.truststore")
    Optional<String> truststore;

    @Inject
    @ConfigProperty(name = "herald.redis.truststore-password")
    Optional<String> truststorePassword;

    @Inject
    @ConfigProperty(name = "herald.history.size")
    int historySize;

    @Resource(lookup = EXECUTOR)
    ManagedExecutorService executor;

    @Produces
    @ApplicationScoped
    Broker broker() {
        if (historySize < 1) {
            throw new IllegalStateException("herald.history.size must be at least 1, not " + historySize);
        }
        return switch (engine.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "memory" -> {
                LOG.log(Level.INFO, "Broker: memory (single node; history is lost on restart)");
                yield new MemoryBroker(historySize);
            }
            case "redis" -> {
                LOG.log(Level.INFO, "Broker: redis at {0}:{1}", redisUri.getHost(), String.valueOf(redisUri.getPort()));
                // The subscriber holds its thread for the life of the application: say so to the container.
                yield new RedisBroker(redisUri, subscriberUri.orElse(redisUri), tls(), historySize, task -> executor.execute(
                        ManagedExecutors.managedTask(task, Map.of(ManagedTask.LONGRUNNING_HINT, "true"), null)));
            }
            default -> throw new IllegalStateException("herald.broker must be memory or redis, not '" + engine + "'");
        };
    }

    private SSLSocketFactory tls() {
        return truststore.map(path -> RedisBroker.trusting(Path.of(path), truststorePassword.map(String::toCharArray).orElse(null)))
                .orElse(null);
    }

    void close(@Disposes Broker broker) {
        broker.close();
    }
}
