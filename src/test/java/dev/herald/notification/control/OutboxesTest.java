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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    private RecordingPeer openHearingInbox(List<Stream> streams) {
        RecordingPeer peer = new RecordingPeer(true);
        registry.open(streams, Map.of(), peer, OutboxTest.frames(100), Instant.MAX, true);
        return peer;
    }

    private static String counts(long unread, long unseen, long total) {
        return "{\"herald\":\"counts\",\"unread\":" + unread + ",\"unseen\":" + unseen + ",\"total\":" + total + "}";
    }

    @Test
    void aSessionHearingTheInboxGetsItsCountsOnOpenAndTheFramesOfEveryChangeAfterTheNotificationsThatCausedThem() {
        start(new MemoryBroker(100));
        Stream user = Stream.user("42");
        Notification first = publish(user, 1);
        RecordingPeer inbox = openHearingInbox(List.of(user));
        RecordingPeer plain = open(user, null);
        RecordingPeer broadcastOnly = openHearingInbox(List.of(Stream.BROADCAST));
        assertEquals(List.of(counts(1, 1, 1)), inbox.frames, "the counts right after it opened");

        Notification second = publish(user, 2);
        broker.inbox().mark("42", Inbox.Mark.READ, List.of(second.id()));
        broker.inbox().markUpTo("42", Inbox.Mark.ARCHIVE, first.id());
        broker.inbox().mark("42", Inbox.Mark.UNREAD, List.of(second.id()));
        broker.inbox().delete("42", second.id(), Inbox.Remover.USER);
        Notification third = publish(user, 3);
        broker.inbox().delete("42", third.id(), Inbox.Remover.PUBLISHER);
        assertEquals(List.of(
                counts(1, 1, 1),
                second.frame(), counts(2, 2, 2),
                "{\"herald\":\"state\",\"ids\":[\"" + second.id() + "\"],\"read\":true,\"seen\":true}", counts(1, 1, 2),
                "{\"herald\":\"state\",\"upTo\":\"" + first.id() + "\",\"archived\":true}", counts(0, 0, 1),
                "{\"herald\":\"state\",\"ids\":[\"" + second.id() + "\"],\"read\":false}", counts(1, 0, 1),
                "{\"herald\":\"deleted\",\"id\":\"" + second.id() + "\"}", counts(0, 0, 0),
                third.frame(), counts(1, 1, 1),
                "{\"herald\":\"retracted\",\"id\":\"" + third.id() + "\"}", counts(0, 0, 0)), inbox.frames);
        assertEquals(inbox.frames.stream().filter(frame -> frame.startsWith("{\"herald\"")).toList(), inbox.controlFrames,
                "control frames are sent as no notification");
        assertEquals(List.of(second.frame(), third.frame()), plain.frames, "a session without herald.2 sees exactly today's frames");
        assertEquals(List.of(), broadcastOnly.frames, "no inbox on a socket without the user's stream");
    }

    @Test
    void aCatchUpAfterAResubscribeSendsTheCountsAgainAfterWhatItReplayed() {
        FollowingBroker following = new FollowingBroker(); // tells no inbox change: each is lost, as while live delivery is down
        start(following);
        Stream user = Stream.user("42");
        RecordingPeer inbox = openHearingInbox(List.of(user, Stream.group("team")));
        RecordingPeer plain = open(user, null);
        following.deaf = true;
        Notification missed = publish(user, 1);
        following.deaf = false;
        registry.subscribed(user);
        Await.until("the catch-up", Duration.ofSeconds(5), () -> inbox.frames.size() == 3);
        assertEquals(List.of(counts(0, 0, 0), missed.id().toString(), counts(1, 1, 1)),
                List.of(inbox.frames.get(0), inbox.frames.get(1).replaceAll(".*\"id\":\"([^\"]+)\".*", "$1"), inbox.frames.get(2)));
        Await.until("the plain session's catch-up", Duration.ofSeconds(5), () -> plain.frames.size() == 1);
        assertEquals(List.of(missed.frame()), plain.frames);
        registry.subscribed(Stream.group("team"));
        publish(Stream.group("team"), 2);
        Await.until("the group's notification", Duration.ofSeconds(5), () -> inbox.frames.size() == 4);
        assertEquals(2, inbox.controlFrames.size(), "a group stream's catch-up reads no counts: " + inbox.frames);
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
        public void expireDue(long nowMillis) {
            memory.expireDue(nowMillis);
        }

        @Override
        public Inbox inbox() {
            return memory.inbox();
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
    void aSocketWithSeveralStreamsGetsEachOnceAndItsCursorResumesEveryStreamExactly() {
        start(new MemoryBroker(100));
        Stream user = Stream.user("42");
        Stream us = Stream.group("region:us");
        Stream eu = Stream.group("region:eu");
        List<Stream> streams = List.of(user, Stream.BROADCAST, us);
        RecordingPeer first = new RecordingPeer(true);
        Outbox outbox = registry.open(streams, Map.of(), first, OutboxTest.frames(100), Instant.MAX);
        publish(user, 1);
        publish(us, 2);
        publish(eu, 3);
        publish(Stream.BROADCAST, 4);
        publish(Stream.user("43"), 5);
        assertEquals(List.of(1, 2, 4), OutboxTest.sequences(first), "its three streams, not region:eu nor user 43");
        assertEquals(3, registry.openSessions(us) + registry.openSessions(user) + registry.openSessions(Stream.BROADCAST));
        assertEquals(1, registry.openSessions());

        // the client saw frames 1 and 2 only, then dropped; meanwhile every stream moved on
        Map<String, NotificationId> cursor = OutboxTest.cursorOf(first.frames.get(1));
        registry.unregister(outbox);
        assertEquals(0, registry.openSessions());
        assertEquals(0, registry.openSessions(us));
        publish(us, 6);
        publish(user, 7);
        Map<Stream, NotificationId> since = new HashMap<>();
        streams.forEach(stream -> since.put(stream, cursor.get(stream.frameName())));
        RecordingPeer resumed = new RecordingPeer(true);
        registry.open(streams, since, resumed, OutboxTest.frames(100), Instant.MAX);
        publish(Stream.BROADCAST, 8);
        // across streams, order is not promised (ids of different streams do not compare): only the set, then live
        assertEquals(List.of(4, 6, 7), OutboxTest.sequences(resumed).subList(0, 3).stream().sorted().toList(), "what it missed on each stream");
        assertEquals(List.of(8), OutboxTest.sequences(resumed).subList(3, 4), "then live");
    }

    @Test
    void aResubscribeCatchesUpEachStreamOfASharedSessionOnce() {
        FollowingBroker following = new FollowingBroker();
        start(following);
        Stream user = Stream.user("42");
        Stream group = Stream.group("team");
        RecordingPeer peer = new RecordingPeer(true);
        Outbox outbox = registry.open(List.of(user, group), Map.of(), peer, OutboxTest.frames(100), Instant.MAX);
        following.deaf = true;
        publish(user, 1);
        publish(group, 2);
        following.deaf = false;
        registry.subscribed(group);
        Await.until("the group caught up", Duration.ofSeconds(5), () -> peer.frames.size() == 1);
        registry.subscribed();
        Await.until("the user's stream caught up", Duration.ofSeconds(5), () -> peer.frames.size() == 2);
        publish(group, 3);
        assertEquals(List.of(2, 1, 3), OutboxTest.sequences(peer));
        registry.unregister(outbox);
        assertEquals(List.of("follow user:42", "follow group:team", "unfollow user:42", "unfollow group:team"), following.calls);
    }

    @Test
    void aStreamOfASharedSocketThatCanNoLongerResumeRefusesItNamingThatStream() {
        start(new MemoryBroker(2));
        Stream group = Stream.group("team");
        Notification gone = publish(group, 1);
        IntStream.rangeClosed(2, 4).forEach(i -> publish(group, i));
        HistoryGapException refused = assertThrows(HistoryGapException.class, () -> registry.open(List.of(Stream.user("42"), group),
                Map.of(group, gone.id()), new RecordingPeer(true), OutboxTest.frames(10), Instant.MAX));
        assertTrue(refused.getMessage().startsWith("history of group:team no longer reaches back to " + gone.id()), refused.getMessage());
        assertEquals(0, registry.openSessions());
        assertEquals(0, registry.openSessions(Stream.user("42")));
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
