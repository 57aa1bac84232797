package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import dev.herald.notification.entity.CloseCode;
import dev.herald.testing.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The registry of outboxes on the memory engine; {@code OutboxesIT} runs the Redis cases against a real redis-server. */
class OutboxesTest extends OutboxesFixture {

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
    void theBrokerFollowsAStreamFromItsFirstSessionUntilItsLastClosesAndCatchesUpOnlyThatStream() {
        FollowingBroker following = new FollowingBroker();
        start(following);
        Stream user = Stream.user("42");
        Outbox tab = registry.open(user, null, new RecordingPeer(true), OutboxTest.frames(100), Instant.MAX);
        RecordingPeer phonePeer = new RecordingPeer(true);
        Outbox phone = registry.open(user, null, phonePeer, OutboxTest.frames(100), Instant.MAX);
        RecordingPeer otherPeer = open(Stream.user("43"), null);
        assertEquals(List.of("follow user:42", "follow user:43"), following.calls, "once per stream, however many sessions");

        // stored but not delivered live, as while a sharded subscription was down; then it (re)starts for user 42 only
        following.deaf = true;
        Notification missed = publish(user, 1);
        publish(Stream.user("43"), 2);
        following.deaf = false;
        registry.subscribed(user);
        Await.until("the phone caught up", Duration.ofSeconds(5), () -> phonePeer.frames.size() == 1);
        assertEquals(List.of(missed.frame()), phonePeer.frames);
        assertEquals(List.of(), otherPeer.frames, "another stream's sessions are not caught up");

        registry.unregister(tab);
        assertEquals(2, following.calls.size(), "one session of 42 is still open");
        registry.unregister(phone);
        assertEquals(List.of("follow user:42", "follow user:43", "unfollow user:42"), following.calls);
    }

    /** A memory broker that records follow and unfollow; while {@link #deaf}, it stores without delivering live. */
    private static final class FollowingBroker implements Broker {
        final MemoryBroker memory = new MemoryBroker(100);
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile boolean deaf;

        @Override
        public void start(Broker.Listener listener) {
            memory.start(new Broker.Listener() {
                @Override
                public void deliver(Notification notification) {
                    if (!deaf) {
                        listener.deliver(notification);
                    }
                }

                @Override
                public void subscribed() {
                    listener.subscribed();
                }
            });
        }

        @Override
        public void follow(Stream stream) {
            calls.add("follow " + stream.name());
        }

        @Override
        public void unfollow(Stream stream) {
            calls.add("unfollow " + stream.name());
        }

        @Override
        public List<Published> publish(RateLimit limit, List<Publication> publications) {
            return memory.publish(limit, publications);
        }

        @Override
        public List<Notification> history(Stream stream, NotificationId after, int limit) {
            return memory.history(stream, after, limit);
        }

        @Override
        public Replay replay(Stream stream, NotificationId after) {
            return memory.replay(stream, after);
        }

        @Override
        public boolean isReady() {
            return memory.isReady();
        }

        @Override
        public void close() {
            memory.close();
        }
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
    void shuttingDownClosesEverySessionWithGoingAwaySpreadOverTheWindow() {
        start(new MemoryBroker(100));
        registry.shutdown = new GracefulShutdown(Duration.ofMillis(200));
        List<RecordingPeer> peers = IntStream.range(0, 40).mapToObj(i -> open(Stream.user("u" + i), null)).toList();
        long started = System.nanoTime();
        registry.closeAll();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertTrue(registry.isClosing());
        assertEquals(0, registry.openSessions());
        peers.forEach(peer -> assertEquals(CloseCode.GOING_AWAY, peer.closeCode));
        assertTrue(took.compareTo(Duration.ofMillis(150)) >= 0, "closes were spread, not all at once: " + took);
    }

    @Test
    void theSweepClosesExpiredTokensWith4401AndIdleSessionsWith1001() {
        start(new MemoryBroker(100));
        SessionSweep sweep = new SessionSweep(registry, Duration.ofSeconds(60), Duration.ZERO);
        RecordingPeer expired = new RecordingPeer(true);
        registry.open(Stream.user("a"), null, expired, OutboxTest.frames(10), java.time.Instant.now().minusSeconds(1));
        RecordingPeer idle = open(Stream.user("c"), null);
        sweep.sweep(java.time.Instant.now(), System.nanoTime() + Duration.ofSeconds(30).toNanos());
        assertEquals(CloseCode.TOKEN_EXPIRED, expired.closeCode);
        assertEquals(null, idle.closeCode, "30 s of silence is not yet idle");
        sweep.sweep(java.time.Instant.now(), System.nanoTime() + Duration.ofSeconds(61).toNanos());
        assertEquals(CloseCode.GOING_AWAY, idle.closeCode);
    }

    @Test
    void theSweepClosesASessionWhoseFrameIsInFlightLongerThanTheSendTimeoutWith4429() {
        start(new MemoryBroker(100));
        SessionSweep sweep = new SessionSweep(registry, Duration.ZERO, Duration.ofSeconds(2));
        Stream user = Stream.user("stuck");
        RecordingPeer stuck = new RecordingPeer(false);
        registry.open(user, null, stuck, new Outbox.Limits(1000, Long.MAX_VALUE, Duration.ofSeconds(2)), java.time.Instant.MAX);
        RecordingPeer reading = open(user, null);
        publish(user, 1);
        Await.until("both got the frame", Duration.ofSeconds(5), () -> stuck.frames.size() == 1 && reading.frames.size() == 1);
        long sent = System.nanoTime();
        sweep.sweep(java.time.Instant.now(), sent + Duration.ofMillis(1500).toNanos());
        assertEquals(null, stuck.closeCode, "1.5 s in flight is within the send timeout");
        sweep.sweep(java.time.Instant.now(), sent + Duration.ofMillis(2500).toNanos());
        assertEquals(CloseCode.SLOW_CONSUMER, stuck.closeCode);
        assertEquals(null, reading.closeCode, "a session that reads is not touched");
    }

    @Test
    void theSweepClosesEachSessionWhenItsOwnTokenExpiresAndForgetsClosedOnes() {
        start(new MemoryBroker(100));
        SessionSweep sweep = new SessionSweep(registry, Duration.ZERO, Duration.ZERO);
        java.time.Instant now = java.time.Instant.now();
        RecordingPeer later = new RecordingPeer(true);
        RecordingPeer soon = new RecordingPeer(true);
        RecordingPeer sameInstant = new RecordingPeer(true);
        RecordingPeer gone = new RecordingPeer(true);
        registry.open(Stream.user("later"), null, later, OutboxTest.frames(10), now.plusSeconds(20));
        registry.open(Stream.user("soon"), null, soon, OutboxTest.frames(10), now.plusSeconds(10));
        registry.open(Stream.user("same"), null, sameInstant, OutboxTest.frames(10), now.plusSeconds(10));
        registry.unregister(registry.open(Stream.user("gone"), null, gone, OutboxTest.frames(10), now.plusSeconds(5)));

        sweep.sweep(now.plusSeconds(9), System.nanoTime());
        assertEquals(Arrays.asList(null, null, null), Arrays.asList(later.closeCode, soon.closeCode, sameInstant.closeCode));
        sweep.sweep(now.plusSeconds(11), System.nanoTime());
        assertEquals(Arrays.asList(null, CloseCode.TOKEN_EXPIRED, CloseCode.TOKEN_EXPIRED), Arrays.asList(later.closeCode, soon.closeCode, sameInstant.closeCode));
        sweep.sweep(now.plusSeconds(21), System.nanoTime());
        assertEquals(CloseCode.TOKEN_EXPIRED, later.closeCode);
        assertEquals(null, gone.closeCode, "a session unregistered before its token expired is not closed again");
    }
}
