package dev.herald.notification.control;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract through Redis Sentinel. */
class SentinelBrokerIT extends BrokerContract {

    static ExecutorService executor;
    static String uri;

    @BeforeAll
    static void startCluster() {
        uri = System.getProperty("herald.test.sentinel-uri", "redis+sentinel://127.0.0.1:17111,127.0.0.1:17112,127.0.0.1:17113/herald");
        executor = Executors.newCachedThreadPool();
    }

    @AfterAll
    static void stopCluster() {
        executor.shutdownNow();
    }

    @Override
    Broker createBroker(int historySize) {
        RedisUri sentinel = RedisUri.parse(uri);
        return new RedisBroker(new RedisClients(sentinel, sentinel, null), historySize, executor);
    }
}
