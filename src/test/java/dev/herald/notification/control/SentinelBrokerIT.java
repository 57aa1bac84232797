package dev.herald.notification.control;

import dev.herald.testing.Await;
import dev.herald.testing.RedisSentinelSet;
import java.time.Duration;
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
    Broker createBroker(int historySize, Duration idempotencyTtl) {
        RedisUri parsed = RedisUri.parse(uri);
        return new RedisBroker(new RedisClients(parsed, parsed, null), historySize, ReplicaWait.NONE, idempotencyTtl,
                Canary.Settings.DEFAULT, new Telemetry.None(), executor);
    }

    /** Redis expires the key itself, on the primary that holds it. */
    @Override
    void outlive(Duration ttl, Broker broker, Broker.Publication recorded) {
        String key = RedisKeys.idempotency(recorded.stream(), recorded.idempotencyKey());
        Await.until("Redis expired " + key, ttl.plusSeconds(10), () -> Long.valueOf(-2).equals(sentinel.primary().reply("PTTL", key)));
    }
}
