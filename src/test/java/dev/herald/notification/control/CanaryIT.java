package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.Stream;
import dev.herald.testing.Await;
import dev.herald.testing.RedisServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The canary against the failure it exists for (centrifugo#1189): the node publishes to a primary and subscribes on
 * its replica, which Redis feeds every PUBLISH; {@code REPLICAOF NO ONE} cuts the replica off while the subscription
 * stays up and answers pings, so without the canary the node would look healthy while delivering nothing.
 */
class CanaryIT extends OutboxesFixture {

    private static final Canary.Settings PROBES = new Canary.Settings(Duration.ofMillis(200), 3);
    private static final Duration DETECTION_LIMIT = PROBES.interval().multipliedBy(PROBES.misses()).plusSeconds(1);

    private RedisServer primary;
    private RedisServer replica;
    private final ProbeMisses misses = new ProbeMisses();
    private final AtomicInteger subscriptions = new AtomicInteger();
    private final Stream user = Stream.user("canary");

    @BeforeEach
    void startPrimaryReplicaAndBroker() {
        primary = RedisServer.start(List.of("--repl-diskless-sync-delay", "0")); // a replica syncs at once, not after 5 s
        replica = RedisServer.start(List.of("--replicaof", "127.0.0.1", String.valueOf(primary.port())));
        awaitInSync();
        RedisClients clients = new RedisClients(URI.create(primary.uri()), URI.create(replica.uri()), null);
        broker = new RedisBroker(clients, 100, ReplicaWait.NONE, Broker.DEFAULT_IDEMPOTENCY_TTL, PROBES, misses, executor);
        registry = new Outboxes(broker, executor);
        broker.start(new Broker.Listener() {
            @Override
            public void deliver(Notification notification) {
                registry.deliver(notification);
            }

            @Override
            public void subscribed() {
                subscriptions.incrementAndGet();
                registry.subscribed();
            }
        });
        Await.until("subscribed", Duration.ofSeconds(10), () -> subscriptions.get() == 1 && broker.isReady());
    }

    /**
     * A write the replica acknowledged: its command stream flows. (WAIT on a connection that wrote nothing counts a
     * replica as soon as its sync ended, but Redis 7 starts streaming to it only at its first ACK, up to a second later.)
     */
    private void awaitInSync() {
        try (Jedis jedis = new Jedis("127.0.0.1", primary.port())) {
            Await.until("the replica is in sync", Duration.ofSeconds(20), () -> {
                jedis.set("canary-it:synced", "yes");
                return jedis.waitReplicas(1, 100) == 1;
            });
        }
    }

    @AfterEach
    void stopRedis() {
        broker.close();
        broker = null;
        replica.close();
        primary.close();
    }

    @Test
    void aSubscriberCutOffFromThePublishesIsDetectedReconnectedAndCaughtUpAndReadyAgainOnceProbesFlow() {
        RecordingPeer peer = open(user, null);
        publish(user, 1);
        Await.until("delivered live through the replica", Duration.ofSeconds(5), () -> peer.frames.size() == 1);
        assertTrue(broker.isReady(), "ready while the replica follows the primary");
        long missedBefore = misses.count(); // a busy machine may lose a 200 ms probe now and then: count from here

        assertEquals("+OK", replica.command("REPLICAOF", "NO", "ONE"));
        long cutOff = System.nanoTime();
        IntStream.rangeClosed(2, 6).forEach(n -> publish(user, n)); // answered: the primary stores and publishes them
        assertEquals(":1", replica.command("XLEN", "herald:stream:{" + user.name() + "}"),
                "the replica no longer gets what is published");

        assertTrue(Await.within(DETECTION_LIMIT, () -> !broker.isReady()),
                "not ready within probe-interval x probe-misses + 1 s = " + DETECTION_LIMIT.toMillis() + " ms");
        long detectedMillis = Duration.ofNanos(System.nanoTime() - cutOff).toMillis();
        System.out.println("canary: detected in " + detectedMillis + " ms");
        assertTrue(misses.count() - missedBefore >= PROBES.misses(), "misses counted: " + (misses.count() - missedBefore));
        Await.until("the subscriber reconnected", Duration.ofSeconds(5), () -> subscriptions.get() >= 2);
        Await.until("every acknowledged publish reached the session, caught up from history", Duration.ofSeconds(5),
                () -> peer.frames.size() >= 6);
        assertEquals(List.of(1, 2, 3, 4, 5, 6), OutboxTest.sequences(peer));
        // subscribed again, to the replica that is still cut off: only the canary can tell
        Await.holdsFor("unready while no probe comes back", PROBES.interval().multipliedBy(PROBES.misses() + 1L),
                () -> !broker.isReady());

        assertEquals("+OK", replica.command("REPLICAOF", "127.0.0.1", String.valueOf(primary.port())));
        awaitInSync();
        Await.until("ready again once probes come back", Duration.ofSeconds(10), broker::isReady);
        publish(user, 7);
        Await.until("delivered live again", Duration.ofSeconds(5), () -> peer.frames.size() >= 7);
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7), OutboxTest.sequences(peer), "nothing lost, nothing repeated");
    }

    @Test
    void probesFlowingKeepTheNodeReadyAndAnotherNodesProbesAreIgnoredQuietly() {
        Logger subscriberLog = Logger.getLogger(LiveMessages.class.getName());
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler recorder = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        subscriberLog.addHandler(recorder);
        RecordingPeer peer = open(user, null);
        // a second node publishing to the same primary: the replica passes its probes to this node's subscriber too
        try (RedisBroker other = new RedisBroker(new RedisClients(URI.create(primary.uri()), URI.create(primary.uri()), null),
                100, ReplicaWait.NONE, Broker.DEFAULT_IDEMPOTENCY_TTL, PROBES, new ProbeMisses(), executor)) {
            AtomicInteger otherSubscriptions = new AtomicInteger();
            other.start(new Broker.Listener() {
                @Override
                public void deliver(Notification notification) {
                }

                @Override
                public void subscribed() {
                    otherSubscriptions.incrementAndGet();
                }
            });
            misses.assertProbesComeBack(broker, PROBES);
            assertTrue(other.isReady(), "the other node is ready too");
            assertEquals(1, otherSubscriptions.get(), "the other node never reconnected");
        } finally {
            subscriberLog.removeHandler(recorder);
        }
        assertEquals(1, subscriptions.get(), "never reconnected");
        assertEquals(List.of(), peer.frames, "probes are not notifications");
        assertEquals(List.of(), warnings, "nothing logged about the other node's probes");
    }
}
