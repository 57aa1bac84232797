package dev.herald.notification.control;

import dev.herald.testing.Await;
import dev.herald.testing.RedisClusterSet;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract on a Redis Cluster: hash-tagged keys, a script per slot, sharded pub/sub per followed stream. */
class ClusterBrokerIT extends BrokerContract {

    static ExecutorService executor;
    static RedisClusterSet cluster;
    static String uri;

    @BeforeAll
    static void startCluster() {
        cluster = RedisClusterSet.start();
        uri = cluster.uri();
        executor = Executors.newCachedThreadPool();
    }

    @AfterAll
    static void stopCluster() {
        executor.shutdownNow();
        cluster.close();
    }

    @Override
    Broker createBroker(int historySize, Duration idempotencyTtl) {
        RedisUri parsed = RedisUri.parse(uri);
        return new RedisBroker(new RedisClients(parsed, parsed, null), historySize, ReplicaWait.NONE, idempotencyTtl,
                Canary.Settings.DEFAULT, new Telemetry.None(), executor);
    }

    /** Redis expires the key itself, on the primary that holds it. */
    @Override
    void outlive(Duration ttl, Broker broker, Broker.Publication recorded) {
        String key = RedisKeys.idempotency(recorded.stream(), recorded.idempotencyKey());
        Await.until("Redis expired " + key, ttl.plusSeconds(10), () -> Long.valueOf(-2).equals(cluster.primaryOf(RedisClusterSet.slotOf(key)).reply("PTTL", key)));
    }
}
