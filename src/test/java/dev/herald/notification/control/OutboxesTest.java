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
import java.util.Arrays;
import java.util.List;
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
