package dev.herald.notification.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLSocketFactory;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Chooses the engine named by {@code herald.broker}: one broker per node, closed on undeploy. */
@ApplicationScoped
public class BrokerProducer {

    private static final System.Logger LOG = System.getLogger(BrokerProducer.class.getName());

    @Inject
    @ConfigProperty(name = "herald.broker")
    String engine;

    @Inject
    @ConfigProperty(name = "herald.redis.uri")
    String redisUri;

    @Inject
    @ConfigProperty(name = "herald.redis.subscriber-uri")
    Optional<String> subscriberUri;

    @Inject
    @ConfigProperty(name = "herald.redis.truststore")
    Optional<String> truststore;

    @Inject
    @ConfigProperty(name = "herald.redis.truststore-password")
    Optional<String> truststorePassword;

    @Inject
    @ConfigProperty(name = "herald.history.size")
    int historySize;

    @Inject
    @ConfigProperty(name = "herald.redis.wait-replicas")
    int waitReplicas;

    @Inject
    @ConfigProperty(name = "herald.redis.wait-timeout")
    Duration waitTimeout;

    @Inject
    @ConfigProperty(name = "herald.redis.probe-interval")
    Duration probeInterval;

    @Inject
    @ConfigProperty(name = "herald.redis.probe-misses")
    int probeMisses;

    @Inject
    @ConfigProperty(name = "herald.publish.idempotency-ttl")
    Duration idempotencyTtl;

    @Inject
    HeraldThreads threads;

    @Inject
    Telemetry telemetry;

    @Produces
    @ApplicationScoped
    Broker broker() {
        if (historySize < 1) {
            throw new IllegalStateException("herald.history.size must be at least 1, not " + historySize);
        }
        if (idempotencyTtl.toMillis() < 1) {
            throw new IllegalStateException("herald.publish.idempotency-ttl must be at least 1 ms, not " + idempotencyTtl);
        }
        return switch (engine.strip().toLowerCase(Locale.ROOT)) {
            case "memory" -> {
                LOG.log(Level.INFO, "Broker: memory (single node; history is lost on restart)");
                yield new MemoryBroker(historySize, idempotencyTtl, System::nanoTime);
            }
            case "redis" -> {
                RedisUri uri = parse("herald.redis.uri", redisUri);
                RedisUri subscriber = subscriberUri.map(text -> parse("herald.redis.subscriber-uri", text)).orElse(uri);
                LOG.log(Level.INFO, "Broker: {0}", uri.describe());
                yield new RedisBroker(new RedisClients(uri, subscriber, tls()), historySize,
                        new ReplicaWait(waitReplicas, waitTimeout), idempotencyTtl, new Canary.Settings(probeInterval, probeMisses),
                        telemetry, threads.longRunning());
            }
            default -> throw new IllegalStateException("herald.broker must be memory or redis, not '" + engine + "'");
        };
    }

    private static RedisUri parse(String key, String text) {
        try {
            return RedisUri.parse(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(key + " is " + e.getMessage());
        }
    }

    private SSLSocketFactory tls() {
        return truststore.map(path -> RedisClients.trusting(Path.of(path), truststorePassword.map(String::toCharArray).orElse(null)))
                .orElse(null);
    }

    void close(@Disposes Broker broker) {
        broker.close();
    }
}
