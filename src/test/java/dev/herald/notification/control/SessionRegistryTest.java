package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import dev.herald.testing.Await;
import dev.herald.testing.RedisServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SessionRegistryTest {

    private final ExecutorService executor = Executors.newCachedThreadPool();
    private Broker broker;
    private SessionRegistry registry;

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
        executor.shutdownNow();
    }

    private void start(Broker engine) {
        broker = engine;
        registry = new SessionRegistry(broker, executor);
        broker.start(registry);
    }

    private Notification publish(Stream stream, int n) {
        return broker.publish(stream, Payload.parse("{\"n\":" + n + "}"));
    }

    private RecordingPeer open(Stream stream, NotificationId since) {
        RecordingPeer peer = new RecordingPeer(true);
        registry.open(stream, since, peer, OutboxTest.frames(10_000), java.time.Instant.MAX);
        return peer;
    }

    @Test
    void aNotificationReachesEverySessionOfItsUserAndNoOtherUser() {
        start(new MemoryBroker(100));
        RecordingPeer tab = open(Stream.user("42"), null);
        RecordingPeer phone = open(Stream.user("42"), null);
        RecordingPeer other = open(Stream.user("43"), null);
        RecordingPeer everyone = open(Stream.BROADCAST, null);
        publish(Stream.user("42"), 1);
        publish(Stream.user("43"), 2);
        assertEquals(List.of(1), OutboxTest.sequences(tab));
        assertEquals(List.of(1), OutboxTest.sequences(phone));
        assertEquals(List.of(2), OutboxTest.sequences(other), "43 never gets 42's notification");
        assertEquals(List.of(), everyone.frames, "user notifications are not broadcasts");
        publish(Stream.BROADCAST, 3);
        assertEquals(List.of(3), OutboxTest.sequences(everyone));
        assertEquals(List.of(1), OutboxTest.sequences(tab));
    }

    @Test
    void withoutSinceASessionGetsOnlyWhatIsPublishedAfterItOpened() {
        start(new MemoryBroker(100));
        publish(Stream.user("42"), 1);
        RecordingPeer peer = open(Stream.user("42"), null);
        publish(Stream.user("42"), 2);
        assertEquals(List.of(2), OutboxTest.sequences(peer));
    }

    @Test
    void sinceZeroReplaysEverythingStoredThenContinuesLive() {
        start(new MemoryBroker(100));
        publish(Stream.user("42"), 1);
        publish(Stream.user("42"), 2);
        RecordingPeer peer = open(Stream.user("42"), NotificationId.ZERO);
        publish(Stream.user("42"), 3);
        assertEquals(List.of(1, 2, 3), OutboxTest.sequences(peer));
    }

    @Test
    void aResumePointHistoryNoLongerCoversIsRefusedAndNothingIsRegistered() {
        start(new MemoryBroker(3));
        Notification first = publish(Stream.user("42"), 1);
        IntStream.rangeClosed(2, 5).forEach(i -> publish(Stream.user("42"), i));
        RecordingPeer peer = new RecordingPeer(true);
        assertThrows(HistoryGapException.class, () -> registry.open(Stream.user("42"), first.id(), peer, OutboxTest.frames(10), java.time.Instant.MAX));
        assertEquals(0, registry.openSessions());
        assertEquals(List.of(), peer.frames);
    }

    @Test
    void resumingWhilePublishingMissesNothingAndRepeatsNothing() throws Exception {
        start(new MemoryBroker(1000));
        resumeWhilePublishing(500);
    }

    @Test
    void resumingWhilePublishingThroughRedisMissesNothingAndRepeatsNothing() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            start(new RedisBroker(URI.create(redis.uri()), 1000, executor));
            Await.until("subscribed", Duration.ofSeconds(20), broker::isReady);
            resumeWhilePublishing(500);
        }
    }

    private void resumeWhilePublishing(int count) throws Exception {
        Stream user = Stream.user("resumer");
        List<Notification> firstHundred = IntStream.rangeClosed(1, 100).mapToObj(i -> publish(user, i)).toList();
        CompletableFuture<Void> publishing = CompletableFuture.runAsync(
                () -> IntStream.rangeClosed(101, count).forEach(i -> publish(user, i)), executor);
        RecordingPeer peer = open(user, firstHundred.get(99).id());
        publishing.get(30, TimeUnit.SECONDS);
        Await.until("all " + (count - 100) + " arrived", Duration.ofSeconds(20), () -> peer.frames.size() >= count - 100);
        assertEquals(IntStream.rangeClosed(101, count).boxed().toList(), OutboxTest.sequences(peer));
    }

    @Test
    void afterTheSubscriberLosesRedisConnectedSessionsAreCaughtUpExactly() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            start(new RedisBroker(URI.create(redis.uri()), 1000, executor));
            Await.until("subscribed", Duration.ofSeconds(20), broker::isReady);
            Stream user = Stream.user("survivor");
            RecordingPeer peer = open(user, null);
            RecordingPeer everyone = open(Stream.BROADCAST, null);
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> IntStream.rangeClosed(1, 600).forEach(i -> {
                publish(user, i);
                if (i % 100 == 0) {
                    publish(Stream.BROADCAST, i);
                }
                if (i % 150 == 0) {
                    redis.command("CLIENT", "KILL", "TYPE", "pubsub");
                }
            }), executor);
            publishing.get(60, TimeUnit.SECONDS);
            Await.until("600 arrived", Duration.ofSeconds(20), () -> peer.frames.size() >= 600);
            assertEquals(IntStream.rangeClosed(1, 600).boxed().toList(), OutboxTest.sequences(peer));
            Await.until("6 broadcasts arrived", Duration.ofSeconds(20), () -> everyone.frames.size() >= 6);
            assertEquals(List.of(100, 200, 300, 400, 500, 600), OutboxTest.sequences(everyone));
        }
    }

    @Test
    void shuttingDownClosesEverySessionWithGoingAwaySpreadOverTheWindow() {
        start(new MemoryBroker(100));
        registry.closeWindow = Duration.ofMillis(200);
        List<RecordingPeer> peers = IntStream.range(0, 40).mapToObj(i -> open(Stream.user("u" + i), null)).toList();
        long started = System.nanoTime();
        registry.closeAll();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertTrue(registry.isClosing());
        assertEquals(0, registry.openSessions());
        peers.forEach(peer -> assertEquals(Outbox.GOING_AWAY, peer.closeCode));
        assertTrue(took.compareTo(Duration.ofMillis(150)) >= 0, "closes were spread, not all at once: " + took);
    }

    @Test
    void theSweepClosesExpiredTokensWith4401AndIdleSessionsWith1001() {
        start(new MemoryBroker(100));
        registry.idleTimeout = Duration.ofSeconds(60);
        RecordingPeer expired = new RecordingPeer(true);
        registry.open(Stream.user("a"), null, expired, OutboxTest.frames(10), java.time.Instant.now().minusSeconds(1));
        RecordingPeer idle = open(Stream.user("c"), null);
        registry.sweep(java.time.Instant.now(), System.nanoTime() + Duration.ofSeconds(30).toNanos());
        assertEquals(Outbox.TOKEN_EXPIRED, expired.closeCode);
        assertEquals(0, idle.closeCode, "30 s of silence is not yet idle");
        registry.sweep(java.time.Instant.now(), System.nanoTime() + Duration.ofSeconds(61).toNanos());
        assertEquals(Outbox.GOING_AWAY, idle.closeCode);
    }

    @Test
    void theSweepClosesEachSessionWhenItsOwnTokenExpiresAndForgetsClosedOnes() {
        start(new MemoryBroker(100));
        java.time.Instant now = java.time.Instant.now();
        RecordingPeer later = new RecordingPeer(true);
        RecordingPeer soon = new RecordingPeer(true);
        RecordingPeer sameInstant = new RecordingPeer(true);
        RecordingPeer gone = new RecordingPeer(true);
        registry.open(Stream.user("later"), null, later, OutboxTest.frames(10), now.plusSeconds(20));
        registry.open(Stream.user("soon"), null, soon, OutboxTest.frames(10), now.plusSeconds(10));
        registry.open(Stream.user("same"), null, sameInstant, OutboxTest.frames(10), now.plusSeconds(10));
        registry.unregister(registry.open(Stream.user("gone"), null, gone, OutboxTest.frames(10), now.plusSeconds(5)));

        registry.sweep(now.plusSeconds(9), System.nanoTime());
        assertEquals(List.of(0, 0, 0), List.of(later.closeCode, soon.closeCode, sameInstant.closeCode));
        registry.sweep(now.plusSeconds(11), System.nanoTime());
        assertEquals(List.of(0, Outbox.TOKEN_EXPIRED, Outbox.TOKEN_EXPIRED), List.of(later.closeCode, soon.closeCode, sameInstant.closeCode));
        registry.sweep(now.plusSeconds(21), System.nanoTime());
        assertEquals(Outbox.TOKEN_EXPIRED, later.closeCode);
        assertEquals(0, gone.closeCode, "a session unregistered before its token expired is not closed again");
    }
}
