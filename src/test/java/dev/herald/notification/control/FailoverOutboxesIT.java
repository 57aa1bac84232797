package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import dev.herald.testing.Await;
import dev.herald.testing.RedisClusterSet;
import dev.herald.testing.RedisSentinelSet;
import dev.herald.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Sessions on the Redis engine while Redis fails over or moves a slot, through Sentinel and on a Cluster: a publisher
 * posts numbered notifications one after the other (a refused one, 503, is retried; one with an unknown outcome, 504,
 * is retried as a new number and may arrive at most once), sessions receive live, and every acknowledged one must
 * reach them exactly once and in order. With {@code wait-replicas=1} nothing acknowledged may be lost in a failover.
 * Each prints {@code <scenario>: published N, delivered N, lost 0, duplicated 0}.
 */
class FailoverOutboxesIT extends OutboxesFixture {

    private static final ReplicaWait ONE_REPLICA = new ReplicaWait(1, Duration.ofMillis(500));
    private static final Duration FAILOVER = Duration.ofSeconds(30);

    private RedisBroker brokerAt(String uri) {
        RedisUri parsed = RedisUri.parse(uri);
        return new RedisBroker(new RedisClients(parsed, parsed, null), 1000, ONE_REPLICA, executor);
    }

    @Test
    void aSentinelPrimarySigkilledWhilePublishingLosesNothingAcknowledged() throws Exception {
        try (RedisSentinelSet redis = RedisSentinelSet.start()) {
            start(brokerAt(redis.uri()));
            Await.until("subscribed", Duration.ofSeconds(20), broker::isReady);
            Numbered numbered = new Numbered(Stream.user("sentinel-user"));
            numbered.awaitAcknowledged(100);
            RedisServer killed = redis.killPrimary();
            redis.awaitFailover(FAILOVER);
            redis.restart(killed); // the promoted replica's own replica, so that WAIT 1 can be met again
            numbered.awaitAcknowledged(numbered.acknowledged.size() + 100);
            numbered.finish("sentinel-sigkill");
        }
    }

    @Test
    void aClusterPrimarySigkilledWhilePublishingLosesNothingAcknowledgedAndOtherShardsGoOn() throws Exception {
        try (RedisClusterSet redis = RedisClusterSet.start()) {
            start(brokerAt(redis.uri()));
            Stream victim = Stream.user("cluster-victim");
            Stream bystander = userOnAnotherShard(redis, victim);
            Numbered onVictim = new Numbered(victim);
            Numbered onBystander = new Numbered(bystander);
            onVictim.awaitAcknowledged(100);
            int slot = RedisClusterSet.slotOf(RedisKeys.stream(victim));
            RedisServer killed = redis.killPrimaryOf(slot);
            redis.awaitPromoted(slot, FAILOVER);
            redis.restart(killed); // back as the promoted one's replica, so that WAIT 1 can be met again
            onVictim.awaitAcknowledged(onVictim.acknowledged.size() + 100);
            onBystander.awaitAcknowledged(onBystander.acknowledged.size() + 100);
            onVictim.finish("cluster-sigkill");
            onBystander.finish("cluster-sigkill-other-shard");
        }
    }

    @Test
    void aSlotMigratedWhilePublishingLosesNothingLive() throws Exception {
        try (RedisClusterSet redis = RedisClusterSet.start()) {
            start(brokerAt(redis.uri()));
            Stream user = Stream.user("cluster-migrated");
            int slot = RedisClusterSet.slotOf(RedisKeys.stream(user));
            RedisServer target = redis.primaries().stream().filter(node -> !node.equals(redis.primaryOf(slot))).findFirst().orElseThrow();
            Numbered numbered = new Numbered(user);
            numbered.awaitAcknowledged(100);
            RedisClusterSet.SlotMigration migration = redis.beginMigration(slot, target);
            numbered.awaitAcknowledged(numbered.acknowledged.size() + 50);
            migration.moveKeys();
            numbered.awaitAcknowledged(numbered.acknowledged.size() + 50); // ASK: stored on the target, heard by nobody yet
            migration.finish(); // the source sends SUNSUBSCRIBE: resubscribed on the target, caught up from history
            numbered.awaitAcknowledged(numbered.acknowledged.size() + 100);
            assertEquals(target, redis.primaryOf(slot));
            numbered.finish("cluster-slot-migration");
        }
    }

    private static Stream userOnAnotherShard(RedisClusterSet redis, Stream user) {
        RedisServer shard = redis.primaryOf(RedisClusterSet.slotOf(RedisKeys.stream(user)));
        for (int i = 0; ; i++) {
            Stream other = Stream.user("cluster-other-" + i);
            if (!redis.primaryOf(RedisClusterSet.slotOf(RedisKeys.stream(other))).equals(shard)) {
                return other;
            }
        }
    }

    /** One stream's publisher (in the background) and one session on it. */
    private final class Numbered {
        final Stream stream;
        final RecordingPeer session;
        final Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
        final Set<Integer> ambiguous = ConcurrentHashMap.newKeySet();
        final AtomicInteger refused = new AtomicInteger();
        volatile String lastRefusal = "";
        final AtomicBoolean stop = new AtomicBoolean();
        final Future<?> publishing;

        Numbered(Stream stream) {
            this.stream = stream;
            this.session = open(stream, null);
            this.publishing = executor.submit(this::publishUntilStopped);
        }

        private void publishUntilStopped() {
            for (int n = 1; !stop.get() && n < 100_000; ) {
                try {
                    broker.publish(stream, Payload.parse("{\"n\":" + n + "}"));
                    acknowledged.add(n++);
                } catch (PublishOutcomeUnknownException e) {
                    ambiguous.add(n++); // may have been stored: the next try is a new notification
                } catch (BrokerUnavailableException e) {
                    refused.incrementAndGet(); // nothing stored: the same number again
                    lastRefusal = e.getMessage();
                    LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
                }
                LockSupport.parkNanos(Duration.ofMillis(2).toNanos());
            }
        }

        void awaitAcknowledged(int count) throws Exception {
            if (!Await.within(Duration.ofSeconds(60), () -> acknowledged.size() >= count || publishing.isDone())) {
                throw new AssertionError(stream.name() + ": not " + count + " acknowledged within 60 s (now " + acknowledged.size()
                        + ", refused " + refused + ", last because " + lastRefusal + ", ambiguous " + ambiguous.size() + ")");
            }
            if (publishing.isDone()) {
                publishing.get(); // the publisher met something it does not expect: that is the failure
                throw new AssertionError(stream.name() + ": the publisher stopped early");
            }
        }

        /** Stops publishing, waits until the session holds every acknowledged one, checks and prints. */
        void finish(String scenario) throws Exception {
            stop.set(true);
            publishing.get();
            Await.until(scenario + ": every acknowledged notification delivered", Duration.ofSeconds(30),
                    () -> Set.copyOf(OutboxTest.sequences(session)).containsAll(acknowledged));
            List<Integer> delivered = new ArrayList<>(OutboxTest.sequences(session));
            long duplicated = delivered.size() - Set.copyOf(delivered).size();
            long lost = acknowledged.stream().filter(n -> !delivered.contains(n)).count();
            System.out.println(scenario + ": published " + acknowledged.size() + ", delivered "
                    + delivered.stream().filter(acknowledged::contains).distinct().count() + ", lost " + lost
                    + ", duplicated " + duplicated + " (refused and retried " + refused + ", ambiguous " + ambiguous.size() + ")");
            assertEquals(0, lost);
            assertEquals(0, duplicated);
            assertTrue(delivered.stream().allMatch(n -> acknowledged.contains(n) || ambiguous.contains(n)),
                    "nothing arrives that was never published: " + delivered);
            assertEquals(delivered.stream().sorted().toList(), delivered, "in publish order");
            assertTrue(session.closeCode == null, "the session stayed open: " + session.closeCode + " " + session.closeReason);
        }
    }
}
