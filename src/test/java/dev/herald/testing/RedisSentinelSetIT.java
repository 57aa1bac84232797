package dev.herald.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.JedisSentineled;

/** The Sentinel harness does what Herald's Sentinel tests will rely on, checked with Jedis alone. */
class RedisSentinelSetIT {

    private static final System.Logger LOG = System.getLogger(RedisSentinelSetIT.class.getName());
    private static final Duration FAILOVER = Duration.ofSeconds(30);

    private static RedisSentinelSet set;

    @BeforeAll
    static void start() {
        long started = System.nanoTime();
        set = RedisSentinelSet.start();
        LOG.log(System.Logger.Level.INFO, "Sentinel set ready in {0} ms: {1}", millisSince(started), set.uri());
    }

    @AfterAll
    static void stop() {
        if (set != null) {
            set.close();
        }
    }

    @Test
    void aWriteAfterThePrimaryIsKilledLandsOnThePromotedReplicaAndTheOldPrimaryComesBackAsItsReplica() {
        try (JedisSentineled jedis = sentineled()) {
            RedisServer primary = set.primary();
            assertEquals(new HostAndPort("127.0.0.1", primary.port()), jedis.getCurrentMaster());
            jedis.set("before", "1");
            assertEquals(1L, set.primary().reply("WAIT", "1", "2000"), "the replica acknowledged the write");

            long killed = System.nanoTime();
            RedisServer dead = set.killPrimary();
            RedisServer promoted = set.awaitFailover(FAILOVER);
            LOG.log(System.Logger.Level.INFO, "failover after SIGKILL took {0} ms", millisSince(killed));

            assertNotSame(dead, promoted);
            assertSame(promoted, set.primary());
            Await.until("Jedis follows +switch-master to " + promoted.port(), FAILOVER,
                    () -> jedis.getCurrentMaster().getPort() == promoted.port());
            assertEquals("OK", jedis.set("after", "2"));
            assertEquals("2", promoted.reply("GET", "after"), "the write went to the promoted replica");
            assertEquals("1", promoted.reply("GET", "before"), "the write acknowledged by the replica survived");

            long restarting = System.nanoTime();
            set.restart(dead);
            LOG.log(System.Logger.Level.INFO, "killed primary back as a replica in {0} ms", millisSince(restarting));
            assertSame(dead, set.replica());
            assertEquals("2", dead.reply("GET", "after"), "the old primary synced from the new one");
            assertTrue(dead.isReplicaOf(promoted));
        }
    }

    @Test
    void aForcedFailoverSwapsTheRolesAndDisconnectsTheSubscribersOfTheDemotedPrimary() throws Exception {
        RedisServer primary = set.primary();
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        JedisPubSub subscriber = new JedisPubSub() {
            @Override
            public void onSubscribe(String channel, int subscribedChannels) {
                events.add("subscribed");
            }
        };
        CompletableFuture<String> subscription;
        try (Jedis jedis = new Jedis("127.0.0.1", primary.port())) {
            subscription = CompletableFuture.supplyAsync(() -> {
                try {
                    jedis.subscribe(subscriber, "herald:live:{user:42}");
                    return "returned";
                } catch (RuntimeException e) {
                    return e.getClass().getSimpleName();
                }
            });
            assertEquals("subscribed", events.poll(5, TimeUnit.SECONDS));

            long asked = System.nanoTime();
            RedisServer promoted = set.failover();
            LOG.log(System.Logger.Level.INFO, "SENTINEL FAILOVER until both settled took {0} ms", millisSince(asked));

            assertNotSame(primary, promoted);
            assertSame(promoted, set.primary());
            assertSame(primary, set.replica());
            assertTrue(promoted.isPrimary());
            // Sentinel reconfigures the demoted primary with CLIENT KILL TYPE normal and TYPE pubsub: a subscriber
            // of the old primary learns of the failover by losing its connection, and must reconnect via Sentinel.
            assertEquals("JedisConnectionException", subscription.get(10, TimeUnit.SECONDS),
                    "the demoted primary's subscriber was disconnected");
        }
    }

    private static JedisSentineled sentineled() {
        Set<HostAndPort> sentinels = set.sentinels().stream().map(s -> new HostAndPort("127.0.0.1", s.port()))
                .collect(Collectors.toSet());
        return new JedisSentineled(RedisSentinelSet.MASTER_NAME, DefaultJedisClientConfig.builder().build(), sentinels,
                DefaultJedisClientConfig.builder().build());
    }

    static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }
}
