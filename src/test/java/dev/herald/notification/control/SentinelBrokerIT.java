package dev.herald.notification.control;

import dev.herald.testing.RedisSentinelSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract through Redis Sentinel. */
class SentinelBrokerIT extends BrokerContract {

    static ExecutorService executor;
    static RedisSentinelSet sentinel;
    static String uri;

    @BeforeAll
    static void startSentinels() {
        sentinel = RedisSentinelSet.start();
        uri = sentinel.uri();
        executor = Executors.newCachedThreadPool();
    }

    @AfterAll
    static void stopSentinels() {
        executor.shutdownNow();
        sentinel.close();
    }

    @Override
    Broker createBroker(int historySize) {
        RedisUri parsed = RedisUri.parse(uri);
        return new RedisBroker(new RedisClients(parsed, parsed, null), historySize, executor);
    }
}
