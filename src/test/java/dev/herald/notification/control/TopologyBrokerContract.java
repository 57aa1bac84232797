package dev.herald.notification.control;

import dev.herald.testing.Await;
import dev.herald.testing.RedisServer;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract through Redis Sentinel or on a Redis Cluster, started once per test class by the subclass. */
abstract class TopologyBrokerContract extends ExpiryContract {

    static ExecutorService executor;

    @BeforeAll
    static void startExecutor() {
        executor = Executors.newCachedThreadPool();
    }

    @AfterAll
    static void stopExecutor() {
        executor.shutdownNow();
    }

    /** {@code herald.redis.uri} for the topology. */
    abstract String uri();

    /** The primary that holds {@code key} now. */
    abstract RedisServer primaryHolding(String key);

    @Override
    Broker createBroker(int historySize, Duration idempotencyTtl) {
        RedisUri parsed = RedisUri.parse(uri());
        return new RedisBroker(new RedisClients(parsed, parsed, null), historySize, ReplicaWait.NONE, idempotencyTtl,
                Canary.Settings.DEFAULT, new Telemetry.None(), executor);
    }

    /** Redis expires the key itself, on the primary that holds it. */
    @Override
    void outlive(Duration ttl, Broker broker, Broker.Publication recorded) {
        String key = RedisKeys.idempotency(recorded.stream(), recorded.idempotencyKey());
        Await.until("Redis expired " + key, ttl.plusSeconds(10), () -> Long.valueOf(-2).equals(primaryHolding(key).reply("PTTL", key)));
    }
}
