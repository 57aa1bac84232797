package dev.herald.notification.control;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract on a Redis Cluster: hash-tagged keys, a script per slot, sharded pub/sub per followed stream. */
class ClusterBrokerIT extends BrokerContract {

    static ExecutorService executor;
    static String uri;

    @BeforeAll
    static void startCluster() {
        uri = System.getProperty("herald.test.cluster-uri", "redis+cluster://127.0.0.1:17001");
        executor = Executors.newCachedThreadPool();
    }

    @AfterAll
    static void stopCluster() {
        executor.shutdownNow();
    }

    @Override
    Broker createBroker(int historySize) {
        RedisUri cluster = RedisUri.parse(uri);
        return new RedisBroker(new RedisClients(cluster, cluster, null), historySize, executor);
    }
}
