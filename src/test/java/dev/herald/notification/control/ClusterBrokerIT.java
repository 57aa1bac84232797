package dev.herald.notification.control;

import dev.herald.testing.RedisClusterSet;
import dev.herald.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract on a Redis Cluster: hash-tagged keys, a script per slot, sharded pub/sub per followed stream. */
class ClusterBrokerIT extends TopologyBrokerContract {

    static RedisClusterSet cluster;

    @BeforeAll
    static void startCluster() {
        cluster = RedisClusterSet.start();
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @Override
    String uri() {
        return cluster.uri();
    }

    @Override
    RedisServer primaryHolding(String key) {
        return cluster.primaryOf(RedisClusterSet.slotOf(key));
    }
}
