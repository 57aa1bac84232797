package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Payload;
import dev.herald.testing.Await;
import dev.herald.testing.RedisServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.util.JedisClusterCRC16;

/** The contract against a real redis-server, plus what only the Redis engine has to survive. */
class RedisBrokerIT extends ExpiryContract {

    static RedisServer redis;
    static ExecutorService executor;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
        executor = Executors.newCachedThreadPool();
    }

    @AfterAll
    static void stopRedis() {
        executor.shutdownNow();
        redis.close();
    }

    @Override
    Broker createBroker(int historySize, Duration idempotencyTtl) {
        return new RedisBroker(new RedisClients(URI.create(redis.uri()), URI.create(redis.uri()), null), historySize,
                ReplicaWait.NONE, idempotencyTtl, Canary.Settings.DEFAULT, new Telemetry.None(), executor);
    }

    /** Redis expires the key itself: its PTTL starts at the ttl, and the key is gone (PTTL -2) once it has passed. */
    @Override
    void outlive(Duration ttl, Broker broker, Broker.Publication recorded) {
        String key = RedisKeys.idempotency(recorded.stream(), recorded.idempotencyKey());
        long remaining = Long.parseLong(redis.command("PTTL", key).substring(1));
        assertTrue(remaining > 0 && remaining <= ttl.toMillis(), "the key expires within the ttl: PTTL " + remaining);
        Await.until("Redis expired " + key, ttl.plusSeconds(10), () -> ":-2".equals(redis.command("PTTL", key)));
    }

    @Test
    void aPublisherRetryingWithItsKeyAfterAnUnconfirmedPublishStoresItOnce() {
        Broker.Publication order = keyed(user, "order-1", "{\"order\":12345}");
        broker.publish(user, Payload.parse("{\"warm\":true}")); // a pooled connection just used: no PING before the next
        redis.pause(); // SIGSTOP: the script is written, Redis runs it only when it resumes, Herald's read times out first
        try {
            assertThrows(PublishOutcomeUnknownException.class, () -> broker.publish(null, List.of(order)), "a 504 for the publisher");
        } finally {
            redis.resume();
        }
        Await.until("Redis ran the publish it had taken while stopped", Duration.ofSeconds(15),
                () -> historyOf(order).size() == 1);
        Notification stored = historyOf(order).get(0);

        AtomicReference<Broker.Published> answered = new AtomicReference<>();
        Await.until("a retry is answered", Duration.ofSeconds(15), () -> { // as a publisher does: retry until answered
            try {
                answered.set(broker.publish(null, List.of(order)).get(0));
                return true;
            } catch (BrokerUnavailableException notYet) {
                return false;
            }
        });

        Broker.Published retry = answered.get();
        assertTrue(retry.replayed(), "the retry is a replay of the publish Redis ran");
        assertEquals(stored, retry.notification(), "answered with the stored id");
        int duplicated = historyOf(order).size() - 1;
        System.out.println("retry with Idempotency-Key after an unconfirmed publish: published 1, stored 1, duplicated " + duplicated);
        assertEquals(0, duplicated);
    }

    private List<Notification> historyOf(Broker.Publication publication) {
        try {
            return broker.history(publication.stream(), null, HISTORY_SIZE).stream()
                    .filter(notification -> notification.frame().endsWith(publication.payload().json().substring(1)))
                    .toList();
        } catch (BrokerUnavailableException notYet) {
            return List.of();
        }
    }

    @Test
    void anIdempotencyKeyLivesInItsStreamsHashSlot() {
        Broker.Publication order = keyed(user, "order-1", "{}");
        broker.publish(null, List.of(order));
        String key = RedisKeys.idempotency(user, order.idempotencyKey());
        assertTrue(key.startsWith("herald:idem:{" + user.name() + "}:"), key);
        assertEquals(JedisClusterCRC16.getSlot(RedisKeys.stream(user)), JedisClusterCRC16.getSlot(key), "the stream's Cluster slot");
        assertEquals(":1", redis.command("EXISTS", key), "recorded under that name");
    }

    /**
     * A user's stream written by a Herald without the inbox: its entries count as unread and unseen from the first
     * change on, and the trimming it recorded (only in max-deleted-entry-id) still reads as a gap after a delete.
     */
    @Test
    void aStreamWrittenBeforeTheInboxCountsItsEntriesAndKeepsItsTrimmingThroughTheFirstDelete() {
        String key = RedisKeys.stream(user);
        List<NotificationId> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(NotificationId.parse(redis.text("XADD", key, "*", "p", "{\"n\":" + i + "}")));
        }
        assertEquals(2L, redis.reply("XDEL", key, ids.get(0).toString(), ids.get(1).toString()), "trimmed as the old publish script did");
        assertEquals(new Inbox.Counts(3, 3, 3), broker.inbox().counts(user.userId()), "nothing recorded yet: all unread");

        assertEquals(Optional.of(new Inbox.Counts(2, 2, 2)), broker.inbox().delete(user.userId(), ids.get(3), Inbox.Remover.USER));
        assertFalse(broker.replay(user, ids.get(0)).canResume(ids.get(0)), "still a gap after a trimmed one");
        assertTrue(broker.replay(user, ids.get(2)).canResume(ids.get(2)), "the delete made no gap");
        Notification next = broker.publish(user, Payload.parse("{}"));
        assertEquals(new Inbox.Counts(3, 3, 3), broker.inbox().counts(user.userId()));
        assertEquals(List.of(ids.get(2), ids.get(4), next.id()),
                broker.inbox().inbox(user.userId(), Inbox.Filter.ALL, null, HISTORY_SIZE).stream().map(e -> e.notification().id()).toList());
    }

    @Test
    void aUsersInboxLivesInItsStreamsHashSlot() {
        String key = RedisKeys.inbox(user);
        assertEquals("herald:inbox:{" + user.name() + "}", key);
        assertEquals(JedisClusterCRC16.getSlot(RedisKeys.stream(user)), JedisClusterCRC16.getSlot(key), "the stream's Cluster slot");
    }

    @Test
    void historySurvivesAHeraldRestart() {
        List<Notification> sent = publish(user, 3);
        try (Broker restarted = createBroker(HISTORY_SIZE)) {
            assertEquals(sent, restarted.history(user, null, 10));
        }
    }

    @Test
    void theSubscriberResubscribesAfterItsConnectionIsKilled() throws InterruptedException {
        assertEquals(":1", redis.command("CLIENT", "KILL", "TYPE", "pubsub"));
        assertNotNull(live.subscriptions.poll(10, TimeUnit.SECONDS), "subscribed again");
        Notification sent = broker.publish(user, Payload.parse("{\"after\":\"reconnect\"}"));
        assertEquals(sent, live.next());
    }

    @Test
    void withRedisDownPublishingFailsCleanlyAndRecoversWhenRedisIsBack() throws InterruptedException {
        redis.kill();
        try {
            assertThrows(BrokerUnavailableException.class, () -> broker.publish(user, Payload.parse("{}")));
            assertThrows(BrokerUnavailableException.class, () -> broker.history(user, null, 1));
            assertFalse(broker.isReady());
        } finally {
            redis.restart();
        }
        assertRecovered("restart");
    }

    @Test
    void aPausedRedisIsNoticedWithinFiveSecondsAndLiveDeliveryResumesAfter() throws InterruptedException {
        long start = System.nanoTime();
        redis.pause();
        try {
            Await.until("not ready while Redis is paused", Duration.ofSeconds(5), () -> !broker.isReady());
            assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(5)) <= 0);
            assertThrows(BrokerUnavailableException.class, () -> broker.publish(user, Payload.parse("{}")));
        } finally {
            redis.resume();
        }
        assertRecovered("resume");
    }

    /** After an outage: subscribed again, ready again, and a publish is delivered live. */
    private void assertRecovered(String after) throws InterruptedException {
        assertNotNull(live.subscriptions.poll(15, TimeUnit.SECONDS), "subscribed again after the " + after);
        Await.until("ready again after the " + after, Duration.ofSeconds(15), broker::isReady);
        Notification sent = broker.publish(user, Payload.parse("{\"after\":\"" + after + "\"}"));
        assertEquals(sent, live.next());
    }

    @Test
    void aPublishRedisTookButDidNotConfirmIsReportedAsOutcomeUnknown() {
        broker.publish(user, Payload.parse("{\"warm\":true}")); // a pooled connection exists and the script is loaded
        // writes wait, PING does not: the borrow-time check passes (a PING, or none for a connection just used),
        // then the script waits past the 2 s read timeout
        assertEquals("+OK", redis.command("CLIENT", "PAUSE", "3000", "WRITE"));
        PublishOutcomeUnknownException unknown = assertThrows(PublishOutcomeUnknownException.class,
                () -> broker.publish(user, Payload.parse("{\"paused\":true}")));
        assertNotNull(unknown.getCause());
        // (Redis drops a paused client's command when the client hangs up: this one was not stored. A Redis stopped
        // with SIGSTOP would have run it on resuming. The caller cannot tell which: hence "unknown".)
        Await.until("publishing works again once the pause ends", Duration.ofSeconds(10), () -> BrokerContract.publishes(broker, user));
    }
}
