package dev.herald.testing;

import static dev.herald.testing.RedisSentinelSetIT.millisSince;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.testing.RedisServer.ErrorReply;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisShardedPubSub;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisMovedDataException;

/** The Cluster harness does what Herald's Cluster tests will rely on, checked with Jedis alone. */
class RedisClusterSetIT {

    private static final System.Logger LOG = System.getLogger(RedisClusterSetIT.class.getName());
    private static final Duration PROMOTION = Duration.ofSeconds(30);
    /** Appends to a stream and announces the entry on its shard channel: the shape of Herald's publish script. */
    private static final String PUBLISH = "local id = redis.call('XADD', KEYS[1], '*', 'p', ARGV[2]) "
            + "redis.call('SPUBLISH', ARGV[1], ARGV[2]) return id";

    private static RedisClusterSet cluster;
    private JedisCluster jedis;

    @BeforeAll
    static void start() {
        long started = System.nanoTime();
        cluster = RedisClusterSet.start();
        LOG.log(System.Logger.Level.INFO, "cluster ready in {0} ms: {1}", millisSince(started), cluster.uri());
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void connect() {
        Set<HostAndPort> seeds = cluster.nodes().stream().limit(3).map(n -> new HostAndPort("127.0.0.1", n.port()))
                .collect(Collectors.toSet());
        jedis = new JedisCluster(seeds, DefaultJedisClientConfig.builder().build());
    }

    @AfterEach
    void disconnect() {
        jedis.close();
    }

    @Test
    void keysOfEveryPrimaryAreWrittenAndReadThroughJedisCluster() {
        List<String> keys = IntStream.range(0, 60).mapToObj(i -> "herald:test:{key:" + i + "}").toList();
        keys.forEach(key -> jedis.set(key, key));
        keys.forEach(key -> assertEquals(key, jedis.get(key)));
        assertEquals(3, cluster.primaries().size());
        for (String key : keys) {
            assertEquals(key, cluster.primaryOf(RedisClusterSet.slotOf(key)).reply("GET", key), "the primary of " + key);
        }
        for (RedisServer primary : cluster.primaries()) {
            assertTrue(keys.stream().anyMatch(key -> cluster.primaryOf(RedisClusterSet.slotOf(key)) == primary),
                    "no key landed on " + primary.port());
        }
    }

    @Test
    void writesToTheSlotOfAKilledPrimarySucceedOnceItsReplicaIsPromoted() {
        String key = "herald:stream:{user:7}";
        int slot = RedisClusterSet.slotOf(key);
        jedis.set(key, "before");
        RedisServer primary = cluster.primaryOf(slot);
        assertEquals(1L, primary.reply("WAIT", "1", "2000"), "the replica acknowledged the write");

        long killed = System.nanoTime();
        RedisServer dead = cluster.killPrimaryOf(slot);
        RedisServer promoted = cluster.awaitPromoted(slot, PROMOTION);
        LOG.log(System.Logger.Level.INFO, "promotion after SIGKILL took {0} ms", millisSince(killed));

        assertNotSame(dead, promoted);
        assertSame(promoted, cluster.primaryOf(slot));
        Await.until("a write to slot " + slot + " succeeds", PROMOTION, () -> {
            try {
                return "OK".equals(jedis.set(key, "after"));
            } catch (RuntimeException stillRefreshing) {
                return false;
            }
        });
        assertEquals("after", promoted.reply("GET", key));

        long restarting = System.nanoTime();
        cluster.restart(dead);
        LOG.log(System.Logger.Level.INFO, "killed primary back as a replica in {0} ms", millisSince(restarting));
        assertEquals(List.of(dead), cluster.replicasOf(slot));
        assertTrue(dead.isReplicaOf(promoted));
        assertEquals("after", dead.replies(List.of(new String[] {"READONLY"}, new String[] {"GET", key})).get(1),
                "the old primary synced from the new one");
    }

    @Test
    void migrateSlotMovesTheKeysAndTheOwnership() {
        String key = "herald:stream:{user:9}";
        int slot = RedisClusterSet.slotOf(key);
        jedis.set(key, "moving");
        RedisServer source = cluster.primaryOf(slot);
        RedisServer target = otherPrimaryThan(source);
        String slotText = String.valueOf(slot);
        assertEquals((long) slot, source.reply("CLUSTER", "KEYSLOT", key));
        assertEquals(1L, source.reply("CLUSTER", "COUNTKEYSINSLOT", slotText));
        assertEquals(0L, target.reply("CLUSTER", "COUNTKEYSINSLOT", slotText));

        long migrating = System.nanoTime();
        cluster.migrateSlot(slot, target);
        LOG.log(System.Logger.Level.INFO, "migrateSlot of one key took {0} ms", millisSince(migrating));

        assertEquals(0L, source.reply("CLUSTER", "COUNTKEYSINSLOT", slotText));
        assertEquals(1L, target.reply("CLUSTER", "COUNTKEYSINSLOT", slotText));
        assertSame(target, cluster.primaryOf(slot));
        assertEquals("moving", jedis.get(key));
    }

    /**
     * What Herald's Cluster mode relies on while a stream's slot moves: shard subscribers of the source keep getting
     * SPUBLISH until the source gives the slot up, then Redis sends them SUNSUBSCRIBE and the subscribe call returns
     * normally; a script runs where its keys are, so one redirected to the target (ASK) announces there, to nobody.
     */
    @Test
    void aShardSubscriberHearsTheSourceUntilTheSlotMovesAndIsThenUnsubscribedByTheServer() throws Exception {
        String stream = "herald:stream:{user:42}";
        String channel = "herald:live:{user:42}";
        int slot = RedisClusterSet.slotOf(channel);
        assertEquals(slot, RedisClusterSet.slotOf(stream));
        jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("p", "first"));
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        CompletableFuture<Void> subscription = subscribe(channel, events);
        assertEquals("ssubscribe", events.poll(5, TimeUnit.SECONDS));
        jedis.spublish(channel, "before");
        assertEquals("message before", events.poll(5, TimeUnit.SECONDS));

        RedisServer source = cluster.primaryOf(slot);
        long migrating = System.nanoTime();
        RedisClusterSet.SlotMigration migration = cluster.beginMigration(slot, otherPrimaryThan(source));
        RedisServer target = migration.target();
        String slotText = String.valueOf(slot);
        String moved = "MOVED " + slot + " 127.0.0.1:" + source.port();
        String ask = "ASK " + slot + " 127.0.0.1:" + target.port();

        // MIGRATING/IMPORTING: the source still serves its channels and the keys it holds.
        jedis.spublish(channel, "migrating");
        assertEquals("message migrating", events.poll(5, TimeUnit.SECONDS));
        assertTrue(source.reply("EVAL", PUBLISH, "1", stream, channel, "script on source") instanceof String);
        assertEquals("message script on source", events.poll(5, TimeUnit.SECONDS));
        assertEquals(new ErrorReply(ask), source.reply("EVAL", PUBLISH, "1", stream + ":new", channel, "x"),
                "a key the source does not hold is asked for at the target");
        assertEquals(new ErrorReply("TRYAGAIN Multiple keys request during rehashing of slot"),
                source.reply("EVAL", PUBLISH, "2", stream, stream + ":new", channel, "x"),
                "a script with keys on both sides");
        assertEquals(new ErrorReply(moved), target.reply("SPUBLISH", channel, "x"), "the target without ASKING");

        assertEquals(1, migration.moveKeys());
        assertEquals(new ErrorReply(ask), source.reply("EVAL", PUBLISH, "1", stream, channel, "x"));
        assertEquals(new ErrorReply(moved), target.reply("EVAL", PUBLISH, "1", stream, channel, "x"));
        List<Object> asked = target.replies(List.of(new String[] {"ASKING"},
                new String[] {"EVAL", PUBLISH, "1", stream, channel, "script on target"}));
        assertTrue(asked.get(1) instanceof String, "ASKING then EVAL runs on the target: " + asked);
        jedis.spublish(channel, "keys moved");
        assertEquals("message keys moved", events.poll(5, TimeUnit.SECONDS),
                "the source's subscriber hears SPUBLISH, but not the script the target ran");
        assertNull(events.poll(100, TimeUnit.MILLISECONDS), "no SUNSUBSCRIBE before the slot is assigned");

        migration.finish();
        LOG.log(System.Logger.Level.INFO, "half-moved slot, from begin to settled, took {0} ms", millisSince(migrating));
        assertEquals("sunsubscribe", events.poll(5, TimeUnit.SECONDS));
        subscription.get(5, TimeUnit.SECONDS);
        assertEquals(3L, target.reply("XLEN", stream), "the first entry and both scripts' are in the stream, now on the target");

        // JedisCluster.ssubscribe neither follows MOVED nor refreshes its slot map: until a keyed command to the slot
        // does, subscribing again goes to the source and fails.
        CompletableFuture<Void> stale = subscribe(channel, events);
        ExecutionException refused = assertThrows(ExecutionException.class, () -> stale.get(5, TimeUnit.SECONDS));
        assertEquals(JedisMovedDataException.class, refused.getCause().getClass(), "subscribing with a stale slot map");
        assertEquals(0L, jedis.spublish(channel, "nobody listens"), "SPUBLISH follows MOVED and refreshes the slot map");
        CompletableFuture<Void> again = subscribe(channel, events);
        assertEquals("ssubscribe", events.poll(5, TimeUnit.SECONDS));
        jedis.spublish(channel, "after");
        assertEquals("message after", events.poll(5, TimeUnit.SECONDS));
        assertEquals(List.of(channel, 1L), target.reply("PUBSUB", "SHARDNUMSUB", channel), "the subscriber is on the target now");
        target.reply("CLIENT", "KILL", "TYPE", "pubsub");
        again.handle((result, error) -> null).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aFailoverUnsubscribesTheShardSubscribersOfTheDemotedPrimary() throws Exception {
        String channel = "herald:live:{user:5}";
        int slot = RedisClusterSet.slotOf(channel);
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        CompletableFuture<Void> subscription = subscribe(channel, events);
        assertEquals("ssubscribe", events.poll(5, TimeUnit.SECONDS));
        RedisServer primary = cluster.primaryOf(slot);

        long asked = System.nanoTime();
        RedisServer promoted = cluster.failover(slot);
        LOG.log(System.Logger.Level.INFO, "CLUSTER FAILOVER until settled took {0} ms", millisSince(asked));

        assertNotSame(primary, promoted);
        String event = events.poll(5, TimeUnit.SECONDS);
        String ended = subscription.handle((result, error) -> error == null ? "returned" : error.getCause().toString())
                .get(5, TimeUnit.SECONDS);
        LOG.log(System.Logger.Level.INFO, "demoted primary''s subscriber: event {0}, subscribe call {1}", event, ended);
        assertEquals("sunsubscribe", event);
        assertEquals("returned", ended);
    }

    /** Runs {@code JedisCluster.ssubscribe} on its own thread; completes when it returns, normally or not. */
    private CompletableFuture<Void> subscribe(String channel, BlockingQueue<String> events) {
        JedisShardedPubSub subscriber = new JedisShardedPubSub() {
            @Override
            public void onSSubscribe(String channel, int subscribedChannels) {
                events.add("ssubscribe");
            }

            @Override
            public void onSMessage(String channel, String message) {
                events.add("message " + message);
            }

            @Override
            public void onSUnsubscribe(String channel, int subscribedChannels) {
                events.add("sunsubscribe");
            }
        };
        return CompletableFuture.runAsync(() -> jedis.ssubscribe(subscriber, channel));
    }

    private static RedisServer otherPrimaryThan(RedisServer primary) {
        return cluster.primaries().stream().filter(p -> p != primary).findFirst().orElseThrow();
    }
}
