package dev.herald.notification.control;

import dev.herald.testing.RedisSentinelSet;
import dev.herald.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract through Redis Sentinel: a primary, its replica and three Sentinels. */
class SentinelBrokerIT extends TopologyBrokerContract {

    static RedisSentinelSet sentinels;

    @BeforeAll
    static void startSentinels() {
        sentinels = RedisSentinelSet.start();
    }

    @AfterAll
    static void stopSentinels() {
        sentinels.close();
    }

    @Override
    String uri() {
        return sentinels.uri();
    }

    @Override
    RedisServer primaryHolding(String key) {
        return sentinels.primary();
    }
}
