package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.CloseCode;
import dev.herald.notification.entity.Cursor;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import dev.herald.testing.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class OutboxTest {

    private static final Stream USER = Stream.user("42");

    static Notification n(int sequence) {
        return Notification.of(USER, new NotificationId(1000, sequence), "{\"n\":" + sequence + "}");
    }

    static Outbox.Limits frames(int frames) {
        return new Outbox.Limits(frames, Long.MAX_VALUE);
    }

    static List<Integer> sequences(RecordingPeer peer) {
        return peer.frames.stream().map(f -> Integer.parseInt(f.replaceAll(".*\"n\":(\\d+)}", "$1"))).toList();
    }

    @Test
    void withASenderPoolFramesLeaveInOrderFromItsThreadsNeverFromTheDeliveringThread() {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Set<Thread> sendingThreads = ConcurrentHashMap.newKeySet();
            RecordingPeer peer = new RecordingPeer(true) {
                @Override
                public void send(Notification notification, String frame, Consumer<Throwable> done) {
                    sendingThreads.add(Thread.currentThread());
                    super.send(notification, frame, done);
                }
            };
            Outbox outbox = new Outbox(List.of(USER), List.of(NotificationId.ZERO), Instant.MAX, peer, frames(10_000), pool, false);
            outbox.release(List.of());
            IntStream.rangeClosed(1, 5000).forEach(i -> outbox.deliver(n(i)));
            Await.until("5000 frames sent", Duration.ofSeconds(10), () -> peer.frames.size() == 5000);
            assertEquals(IntStream.rangeClosed(1, 5000).boxed().toList(), sequences(peer));
            assertTrue(!sendingThreads.isEmpty() && !sendingThreads.contains(Thread.currentThread()), sendingThreads::toString);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSessionWithOneStreamSendsTheSharedFrameUnchanged() {
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(10));
        outbox.release(List.of(n(1)));
        assertEquals(List.of(n(1).frame()), peer.frames);
    }

    @Test
    void aSessionWithSeveralStreamsComparesIdsPerStreamAndEachFrameNamesItsStreamAndEveryPosition() {
        Stream group = Stream.group("region:us");
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(List.of(USER, group), List.of(new NotificationId(1000, 0), new NotificationId(500, 0)),
                Instant.MAX, peer, frames(10), Runnable::run, false);
        outbox.release(List.of(n(1)));
        // older than the user's last id, but the group's ids are its own
        outbox.deliver(Notification.of(group, new NotificationId(900, 0), "{\"g\":1}"));
        outbox.deliver(Notification.of(group, new NotificationId(900, 0), "{\"g\":1}"));
        outbox.deliver(n(1));
        assertEquals(2, peer.frames.size(), peer.frames::toString);
        assertEquals(Map.of("user", new NotificationId(1000, 1), "group:region:us", new NotificationId(500, 0)), cursorOf(peer.frames.get(0)));
        assertTrue(peer.frames.get(0).startsWith("{\"id\":\"1000-1\",\"ts\":\"1970-01-01T00:00:01.000Z\",\"stream\":\"user\",\"cursor\":\"h1."),
                peer.frames.get(0));
        assertTrue(peer.frames.get(1).contains("\"stream\":\"group:region:us\"") && peer.frames.get(1).endsWith("\"g\":1}"), peer.frames.get(1));
        assertEquals(Map.of("user", new NotificationId(1000, 1), "group:region:us", new NotificationId(900, 0)), cursorOf(peer.frames.get(1)));
        assertEquals(new NotificationId(900, 0), outbox.lastId(group));
    }

    @Test
    void aCursorSaysWhatWasSentNotWhatWasQueued() {
        Stream group = Stream.group("g");
        RecordingPeer peer = new RecordingPeer(false);
        Outbox outbox = new Outbox(List.of(USER, group), List.of(NotificationId.ZERO, NotificationId.ZERO), Instant.MAX, peer, frames(10),
                Runnable::run, false);
        outbox.release(List.of(n(1), Notification.of(group, new NotificationId(2000, 0), "{}"), n(2)));
        assertEquals(Map.of("user", new NotificationId(1000, 1), "group:g", NotificationId.ZERO), cursorOf(peer.frames.get(0)),
                "the group's entry and the user's second are queued, not sent");
        peer.completeAll();
        assertEquals(Map.of("user", new NotificationId(1000, 2), "group:g", new NotificationId(2000, 0)), cursorOf(peer.frames.get(2)));
    }

    static Map<String, NotificationId> cursorOf(String frame) {
        return Cursor.parse(frame.replaceAll(".*\"cursor\":\"([^\"]+)\".*", "$1")).positions();
    }

    @Test
    void aControlFrameKeepsItsPlaceBetweenNotificationsAndLeavesResumeAlone() {
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(10), true);
        outbox.release(List.of());
        outbox.deliver(n(1));
        outbox.control(List.of("{\"herald\":\"a\"}", "{\"herald\":\"b\"}"));
        outbox.deliver(n(2));
        assertEquals(List.of(n(1).frame(), "{\"herald\":\"a\"}", "{\"herald\":\"b\"}", n(2).frame()), peer.frames);
        assertEquals(List.of("{\"herald\":\"a\"}", "{\"herald\":\"b\"}"), peer.controlFrames, "sent as no notification");
        assertEquals(new NotificationId(1000, 2), outbox.lastId(USER));
    }

    @Test
    void controlFramesWaitWithHeldNotificationsAndTheReleasesOwnComeRightAfterTheReplay() {
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(10), true);
        outbox.deliver(n(3));
        outbox.control(List.of("{\"herald\":\"after 3\"}"));
        outbox.release(List.of(n(1), n(2)), List.of("{\"herald\":\"counts at open\"}"));
        assertEquals(List.of(n(1).frame(), n(2).frame(), "{\"herald\":\"counts at open\"}", n(3).frame(), "{\"herald\":\"after 3\"}"),
                peer.frames);
    }

    @Test
    void aSessionThatDoesNotHearTheInboxGetsNoControlFrame() {
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(10));
        outbox.release(List.of(n(1)), List.of("{\"herald\":\"counts\"}"));
        outbox.control(List.of("{\"herald\":\"counts\"}"));
        assertEquals(List.of(n(1).frame()), peer.frames);
    }

    @Test
    void onASocketWithSeveralStreamsAControlFrameHasNoCursorAndMovesNone() {
        Stream group = Stream.group("g");
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(List.of(USER, group), List.of(NotificationId.ZERO, NotificationId.ZERO), Instant.MAX, peer, frames(10),
                Runnable::run, true);
        outbox.release(List.of(n(1)));
        outbox.control(List.of("{\"herald\":\"counts\"}"));
        outbox.deliver(Notification.of(group, new NotificationId(2000, 0), "{}"));
        assertEquals("{\"herald\":\"counts\"}", peer.frames.get(1));
        assertEquals(Map.of("user", new NotificationId(1000, 1), "group:g", new NotificationId(2000, 0)), cursorOf(peer.frames.get(2)));
    }

    @Test
    void controlFramesWaitingCountTowardTheSlowConsumerLimit() {
        RecordingPeer peer = new RecordingPeer(false);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(2), true);
        outbox.release(List.of());
        outbox.deliver(n(1));
        outbox.control(List.of("{\"herald\":\"a\"}", "{\"herald\":\"b\"}"));
        assertEquals(null, peer.closeCode, "two frames waiting are within the limit");
        outbox.control(List.of("{\"herald\":\"c\"}"));
        assertEquals(CloseCode.SLOW_CONSUMER, peer.closeCode, "a client that stops reading cannot grow the queue with control frames");
    }

    @Test
    void sendsNothingBeforeTheFirstRelease() {
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(10));
        outbox.deliver(n(1));
        assertEquals(List.of(), peer.frames);
        outbox.release(List.of());
        assertEquals(List.of(1), sequences(peer));
    }

    @Test
    void replayThenHeldLiveNotificationsWithoutGapOrDuplicate() {
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(USER, new NotificationId(1000, 2), peer, frames(100));
        // published while the replay was read: 5 and 6 are both in the replay and live, 7 only live
        outbox.deliver(n(5));
        outbox.deliver(n(6));
        outbox.deliver(n(7));
        outbox.release(List.of(n(3), n(4), n(5), n(6)));
        outbox.deliver(n(7));
        outbox.deliver(n(8));
        assertEquals(List.of(3, 4, 5, 6, 7, 8), sequences(peer));
    }

    @Test
    void skipsReplayedEntriesAtOrBeforeTheResumePoint() {
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(USER, new NotificationId(1000, 4), peer, frames(100));
        outbox.release(List.of(n(3), n(4), n(5)));
        assertEquals(List.of(5), sequences(peer));
        assertEquals(new NotificationId(1000, 5), outbox.lastId(USER));
    }

    @Test
    void nestedHoldsReleaseLiveOnlyAfterTheLastRelease() {
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(100));
        outbox.hold();                      // the broker resubscribed while the session was opening
        outbox.deliver(n(4));
        outbox.release(List.of(n(1), n(2)));  // the session's own replay
        assertEquals(List.of(1, 2), sequences(peer));
        outbox.release(List.of(n(1), n(2), n(3)));  // the catch-up after resubscribing
        assertEquals(List.of(1, 2, 3, 4), sequences(peer));
    }

    @Test
    void oneSendInFlightAndOrderKeptWhenCompletionsComeLater() {
        RecordingPeer peer = new RecordingPeer(false);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(100));
        outbox.release(List.of());
        IntStream.rangeClosed(1, 50).forEach(i -> outbox.deliver(n(i)));
        assertEquals(List.of(1), sequences(peer), "the second frame waits for the first to complete");
        peer.completeAll();
        assertEquals(IntStream.rangeClosed(1, 50).boxed().toList(), sequences(peer));
        assertEquals(1, peer.maxInFlight);
    }

    @Test
    void aNotificationWhoseExpiryPassedBeforeItsTurnIsNeverSent() {
        RecordingPeer peer = new RecordingPeer(false);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(100));
        outbox.release(List.of());
        long now = System.currentTimeMillis();
        outbox.deliver(n(1));
        outbox.deliver(n(2).expiringAt(now - 1)); // queued behind the first: expired by the time it would go
        outbox.deliver(n(3).expiringAt(now + Duration.ofHours(1).toMillis()));
        peer.completeAll();
        assertEquals(List.of(1, 3), sequences(peer));
    }

    @Test
    void inlineCompletionsDoNotGrowTheStack() {
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(200_000));
        List<Notification> many = IntStream.rangeClosed(1, 100_000).mapToObj(OutboxTest::n).toList();
        outbox.release(many);
        assertEquals(100_000, peer.frames.size());
    }

    @Test
    void aClientThatStopsReadingIsClosedAsSlowWithItsResumePoint() {
        RecordingPeer peer = new RecordingPeer(false);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(3));
        outbox.release(List.of());
        IntStream.rangeClosed(1, 5).forEach(i -> outbox.deliver(n(i)));  // 1 in flight, 2..4 queued, 5 overflows
        assertEquals(CloseCode.SLOW_CONSUMER, peer.closeCode);
        assertTrue(outbox.isClosed());
        assertTrue(peer.closeReason.contains("since="), peer.closeReason);
        peer.completeAll();
        assertEquals(List.of(1), sequences(peer), "nothing is sent after the close");
    }

    @Test
    void tooManyHeldNotificationsAlsoCloseAsSlow() {
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(2));
        IntStream.rangeClosed(1, 3).forEach(i -> outbox.deliver(n(i)));
        assertEquals(CloseCode.SLOW_CONSUMER, peer.closeCode);
    }

    @Test
    void tooManyQueuedCharactersAlsoCloseAsSlow() {
        String payload = "{\"text\":\"" + "x".repeat(80) + "\"}";
        int frameLength = Notification.of(USER, new NotificationId(1000, 1), payload).frame().length();
        RecordingPeer peer = new RecordingPeer(false);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, new Outbox.Limits(1000, 2L * frameLength));
        outbox.release(List.of());
        IntStream.rangeClosed(1, 3).forEach(i -> outbox.deliver(Notification.of(USER, new NotificationId(1000, i), payload)));
        assertEquals(null, peer.closeCode, "one frame in flight, two waiting: exactly the limit");
        outbox.deliver(Notification.of(USER, new NotificationId(1000, 4), payload));
        assertEquals(CloseCode.SLOW_CONSUMER, peer.closeCode);
    }

    @Test
    void aFrameInFlightLongerThanTheSendTimeoutClosesTheSessionAsSlowWhenTheSweepLooks() {
        RecordingPeer peer = new RecordingPeer(false);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, new Outbox.Limits(1000, Long.MAX_VALUE, Duration.ofSeconds(2)));
        outbox.release(List.of());
        outbox.deliver(n(1));  // in flight, never completed: the client stopped reading
        long sent = System.nanoTime();
        outbox.closeIfSendTimedOut(sent + Duration.ofMillis(1900).toNanos());
        assertEquals(null, peer.closeCode, "1.9 s in flight is within a 2 s send timeout");
        outbox.closeIfSendTimedOut(sent + Duration.ofMillis(2100).toNanos());
        assertEquals(CloseCode.SLOW_CONSUMER, peer.closeCode);
        assertTrue(peer.closeReason.contains("since="), peer.closeReason);
    }

    @Test
    void aCompletedSendNeverTimesOutHoweverLongAgoItWent() {
        RecordingPeer peer = new RecordingPeer(false);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, new Outbox.Limits(1000, Long.MAX_VALUE, Duration.ofSeconds(2)));
        outbox.release(List.of());
        IntStream.rangeClosed(1, 3).forEach(i -> outbox.deliver(n(i)));
        peer.completeAll();
        outbox.closeIfSendTimedOut(System.nanoTime() + Duration.ofHours(1).toNanos());
        assertEquals(null, peer.closeCode);
        assertEquals(List.of(1, 2, 3), sequences(peer));
    }

    @Test
    void aFrameQueuedBehindOneInFlightTooLongClosesTheSessionAtOnce() {
        RecordingPeer peer = new RecordingPeer(false);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, new Outbox.Limits(1000, Long.MAX_VALUE, Duration.ofNanos(1)));
        outbox.release(List.of());
        outbox.deliver(n(1));
        long sent = System.nanoTime();
        Await.until("a nanosecond passed", Duration.ofSeconds(1), () -> System.nanoTime() - sent > 1);
        outbox.deliver(n(2));
        assertEquals(CloseCode.SLOW_CONSUMER, peer.closeCode, "checked when the next frame is queued, without the sweep");
        peer.completeAll();
        assertEquals(List.of(1), sequences(peer));
    }

    @Test
    void withoutASendTimeoutAFrameMayBeInFlightForever() {
        RecordingPeer peer = new RecordingPeer(false);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(1000));
        outbox.release(List.of());
        outbox.deliver(n(1));
        outbox.closeIfSendTimedOut(System.nanoTime() + Duration.ofDays(1).toNanos());
        outbox.deliver(n(2));
        assertEquals(null, peer.closeCode);
    }

    @Test
    void aResumeFromFurtherBackThanTheLimitIsReplayedNotRefused() {
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = new Outbox(USER, NotificationId.ZERO, peer, frames(3));
        outbox.release(IntStream.rangeClosed(1, 50).mapToObj(OutboxTest::n).toList());
        assertEquals(null, peer.closeCode, "a replay is bounded by history, not by the slow-consumer limit");
        assertEquals(50, peer.frames.size());
    }
}
