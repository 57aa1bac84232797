package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Stream;
import dev.herald.testing.Await;
import dev.herald.testing.RedisClusterSet;
import dev.herald.testing.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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

    /** A unicast reaches only the nodes that have a session of that user: the shard channel is subscribed only then. */
    @Test
    void aStreamsShardChannelIsSubscribedOnlyWhileItIsFollowed() {
        Stream stranger = Stream.user("stranger-" + UUID.randomUUID());
        String channel = RedisKeys.channel(stranger);
        RedisServer shard = cluster.primaryOf(RedisClusterSet.slotOf(channel));
        assertEquals(List.of(channel, 0L), shard.reply("PUBSUB", "SHARDNUMSUB", channel), "nobody listens before a session opens");
        broker.follow(stranger);
        Await.until("subscribed on the shard that serves it", Duration.ofSeconds(10),
                () -> List.of(channel, 1L).equals(shard.reply("PUBSUB", "SHARDNUMSUB", channel)));
        broker.unfollow(stranger);
        Await.until("unsubscribed after the last session", Duration.ofSeconds(10),
                () -> List.of(channel, 0L).equals(shard.reply("PUBSUB", "SHARDNUMSUB", channel)));
        assertTrue(broker.isReady(), "still ready: the other streams are untouched");
    }
}
