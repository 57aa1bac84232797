package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.control.Broker.Publication;
import dev.herald.notification.control.Broker.Published;
import dev.herald.notification.entity.IdempotencyKey;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import dev.herald.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every engine promises; run against each engine by a subclass. */
abstract class BrokerContract {

    static final int HISTORY_SIZE = 5;

    Broker broker;
    final RecordingListener live = new RecordingListener();
    final Stream user = Stream.user("u-" + UUID.randomUUID());

    Broker createBroker(int historySize) {
        return createBroker(historySize, Broker.DEFAULT_IDEMPOTENCY_TTL);
    }

    abstract Broker createBroker(int historySize, Duration idempotencyTtl);

    /** Returns once {@code broker} (made with that ttl) no longer remembers the publication's idempotency key. */
    abstract void outlive(Duration ttl, Broker broker, Publication recorded);

    @BeforeEach
    void startBroker() throws InterruptedException {
        broker = createBroker(HISTORY_SIZE);
        broker.start(live);
        broker.follow(user);
        broker.follow(Stream.BROADCAST);
        assertTrue(live.subscriptions.poll(10, TimeUnit.SECONDS) != null, "live delivery subscribed");
        Await.until("every followed stream subscribed", Duration.ofSeconds(10), broker::isReady);
    }

    /**
     * A stream whose live notifications the test expects: followed as a node with sessions on it would (on Redis Cluster
     * that subscribes its shard channel; the other engines deliver every stream anyway).
     */
    Stream followed(Stream stream) {
        broker.follow(stream);
        Await.until("the followed stream subscribed", Duration.ofSeconds(10), broker::isReady);
        return stream;
    }

    @AfterEach
    void closeBroker() {
        broker.close();
    }

    static final class RecordingListener implements Broker.Listener {
        final BlockingQueue<Notification> delivered = new LinkedBlockingQueue<>();
        final BlockingQueue<Boolean> subscriptions = new LinkedBlockingQueue<>();
        final BlockingQueue<Inbox.Event> inboxEvents = new LinkedBlockingQueue<>();

        @Override
        public void deliver(Notification notification) {
            delivered.add(notification);
        }

        @Override
        public void subscribed() {
            subscriptions.add(true);
        }

        @Override
        public void inboxChanged(Inbox.Event event) {
            inboxEvents.add(event);
        }

        Notification next() throws InterruptedException {
            Notification next = delivered.poll(10, TimeUnit.SECONDS);
            assertNotNull(next, "a live notification within 10 s");
            return next;
        }
    }

    List<Notification> publish(Stream stream, int count) {
        return IntStream.rangeClosed(1, count)
                .mapToObj(i -> broker.publish(stream, Payload.parse("{\"n\":" + i + "}")))
                .toList();
    }

    @Test
    void aPublishedNotificationIsDeliveredLiveWithTheStoredIdAndFrame() throws InterruptedException {
        Notification sent = broker.publish(user, Payload.parse("{\"title\":\"Alert\",\"message\":\"Server rebooted\"}"));
        Notification received = live.next();
        assertEquals(sent, received);
        assertTrue(received.frame().endsWith("\"title\":\"Alert\",\"message\":\"Server rebooted\"}"), received.frame());
    }

    @Test
    void idsIncreaseWithinAStreamAndLiveOrderIsPublishOrder() throws InterruptedException {
        List<Notification> sent = publish(user, 20);
        for (int i = 1; i < sent.size(); i++) {
            assertTrue(sent.get(i).id().isAfter(sent.get(i - 1).id()), "ids increase: " + sent);
        }
        for (Notification expected : sent) {
            assertEquals(expected, live.next());
        }
    }

    @Test
    void historyKeepsTheNewestEntriesOldestFirst() {
        List<Notification> sent = publish(user, HISTORY_SIZE + 2);
        assertEquals(sent.subList(2, sent.size()), broker.history(user, null, HISTORY_SIZE));
        assertEquals(sent.subList(sent.size() - 2, sent.size()), broker.history(user, null, 2));
    }

    @Test
    void historyPagesForwardAfterAnId() {
        List<Notification> sent = publish(user, 4);
        assertEquals(sent.subList(1, 3), broker.history(user, sent.get(0).id(), 2));
        assertEquals(sent.subList(3, 4), broker.history(user, sent.get(2).id(), 2));
        assertEquals(List.of(), broker.history(user, sent.get(3).id(), 2));
        assertEquals(sent, broker.history(user, NotificationId.ZERO, 10));
    }

    @Test
    void streamsAreSeparate() {
        Stream other = Stream.user("other-" + UUID.randomUUID());
        publish(user, 2);
        assertEquals(List.of(), broker.history(other, null, 10));
        Notification toOther = broker.publish(other, Payload.parse("{}"));
        assertEquals(List.of(toOther), broker.history(other, null, 10));
        assertEquals(2, broker.history(user, null, 10).size());
    }

    @Test
    void replayReturnsEverythingAfterAnIdAndTheStreamsBounds() {
        List<Notification> sent = publish(user, 3);
        Broker.Replay replay = broker.replay(user, sent.get(0).id());
        assertEquals(sent.subList(1, 3), replay.entries());
        assertEquals(sent.get(2).id(), replay.lastGenerated());
        assertTrue(replay.canResume(sent.get(0).id()));
        assertTrue(replay.canResume(NotificationId.ZERO));
    }

    @Test
    void replayWithoutAnIdReportsOnlyTheNewestId() {
        List<Notification> sent = publish(user, 2);
        Broker.Replay replay = broker.replay(user, null);
        assertEquals(List.of(), replay.entries());
        assertEquals(sent.get(1).id(), replay.lastGenerated());
    }

    @Test
    void anEmptyStreamHasNothingAndKnowsNoResumePointButZero() {
        Broker.Replay replay = broker.replay(user, NotificationId.ZERO);
        assertEquals(List.of(), replay.entries());
        assertEquals(NotificationId.ZERO, replay.lastGenerated());
        assertTrue(replay.canResume(NotificationId.ZERO));
        assertFalse(replay.canResume(NotificationId.parse("1732450000000-0")), "an id this stream never issued");
    }

    @Test
    void aResumePointTrimmedFromHistoryIsReportedAsAGap() {
        List<Notification> sent = publish(user, HISTORY_SIZE + 3);
        Broker.Replay replay = broker.replay(user, sent.get(0).id());
        assertTrue(replay.lostAfter(sent.get(0).id()), "entries after the first were trimmed");
        assertFalse(replay.canResume(sent.get(0).id()));
        assertTrue(replay.canResume(sent.get(2).id()), "the newest trimmed id is still a complete resume point");
        assertFalse(replay.canResume(sent.get(1).id()));
        assertEquals(sent.subList(3, sent.size()), replay.entries());
    }

    @Test
    void aResumePointTheStreamNeverHeldIsAGapEvenOnceNewerIdsExist() {
        // what a client that saw the newest entries of a primary lost in a failover brings to the promoted replica
        Notification first = broker.publish(user, Payload.parse("{\"n\":1}"));
        NotificationId neverHeld = new NotificationId(first.id().millis(), first.id().sequence() + 1000);
        Notification newest = first;
        Notification previous = first;
        for (int i = 0; i < 1000 && !newest.id().isAfter(neverHeld); i++) { // until the clock has moved past it
            previous = newest;
            newest = broker.publish(user, Payload.parse("{\"n\":2}"));
        }
        assertTrue(newest.id().isAfter(neverHeld), "newer ids exist");
        Broker.Replay replay = broker.replay(user, neverHeld);
        assertTrue(replay.lostAfter(neverHeld));
        assertFalse(replay.canResume(neverHeld), "resuming after " + neverHeld + " would silently skip what followed it");
        assertTrue(broker.replay(user, previous.id()).canResume(previous.id()), "an id the stream holds is a resume point");
    }

    @Test
    void aResumePointFromTheFutureIsUnknown() {
        publish(user, 1);
        assertFalse(broker.replay(user, null).canResume(NotificationId.parse("99999999999999-0")));
    }

    @Test
    void broadcastsAreStoredAndDeliveredLikeAnyStream() throws InterruptedException {
        Notification sent = broker.publish(Stream.BROADCAST, Payload.parse("{\"all\":true}"));
        assertEquals(sent, live.next());
        assertEquals(sent.id(), broker.replay(Stream.BROADCAST, null).lastGenerated());
    }

    @Test
    void aGroupsStreamIsStoredAndDeliveredLikeAnyStreamApartFromTheUserOfTheSameName() throws InterruptedException {
        Stream group = followed(Stream.group(user.userId()));
        Notification toGroup = broker.publish(group, Payload.parse("{\"to\":\"group\"}"));
        assertEquals(toGroup, live.next());
        Notification toUser = broker.publish(user, Payload.parse("{\"to\":\"user\"}"));
        assertEquals(toUser, live.next(), "the group's was delivered once, and not as the user's");

        assertEquals("herald:stream:{group:" + user.userId() + "}", RedisKeys.stream(group), "in its own slot on Cluster");
        assertEquals(List.of(toGroup), broker.history(group, null, 10), "the group's history holds only the group's");
        assertEquals(List.of(toUser), broker.history(user, null, 10), "the user's history holds only the user's");
        assertEquals(toGroup.id(), broker.replay(group, null).lastGenerated());
        Published forTheGroup = broker.publish(null, List.of(keyed(group, "same-key", "{}"))).get(0);
        Published forTheUser = broker.publish(null, List.of(keyed(user, "same-key", "{}"))).get(0);
        assertFalse(forTheGroup.replayed() || forTheUser.replayed(), "a key used for group x is not used for user x");
        assertEquals(group, forTheGroup.notification().stream());
    }

    @Test
    void aCallerMayBurstThenMustWaitWhileOthersAreUnaffected() {
        Broker.RateLimit limit = new Broker.RateLimit("publisher-" + UUID.randomUUID(), 1, 5);
        for (int i = 0; i < 5; i++) {
            broker.publish(limit, List.of(new Broker.Publication(user, Payload.parse("{\"n\":" + i + "}"))));
        }
        RateLimitedException refused = assertThrows(RateLimitedException.class,
                () -> broker.publish(limit, List.of(new Broker.Publication(user, Payload.parse("{\"n\":5}")))));
        assertTrue(refused.retryAfter().toMillis() > 0 && refused.retryAfter().toMillis() <= 1000,
                "the sixth waits up to a second: " + refused.retryAfter());
        assertEquals(5, broker.history(user, null, HISTORY_SIZE).size(), "the refused one was not published");
        broker.publish(new Broker.RateLimit("other-" + UUID.randomUUID(), 1, 5), List.of(new Broker.Publication(user, Payload.parse("{}"))));
    }

    @Test
    void aBatchIsStoredPerStreamInOrderTrimmedAndDeliveredLiveInPublishOrderPerStream() throws InterruptedException {
        Stream other = followed(Stream.user("other-" + UUID.randomUUID()));
        List<Broker.Publication> batch = IntStream.rangeClosed(1, 2 * HISTORY_SIZE + 2)
                .mapToObj(i -> new Broker.Publication(i % 2 == 0 ? other : user, Payload.parse("{\"n\":" + i + "}")))
                .toList();
        List<Notification> sent = broker.publish(batch);
        assertEquals(batch.size(), sent.size());
        List<Notification> delivered = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            assertEquals(batch.get(i).stream(), sent.get(i).stream());
            assertTrue(sent.get(i).frame().endsWith("\"n\":" + (i + 1) + "}"), sent.get(i).frame());
            delivered.add(live.next());
        }
        for (Stream stream : List.of(user, other)) {
            assertEquals(sent.stream().filter(n -> n.stream().equals(stream)).toList(),
                    delivered.stream().filter(n -> n.stream().equals(stream)).toList(),
                    "live order is the batch's order within each stream (across streams it is not promised on Redis Cluster)");
        }
        List<Notification> toUser = sent.stream().filter(n -> n.stream().equals(user)).toList();
        assertEquals(toUser.subList(toUser.size() - HISTORY_SIZE, toUser.size()), broker.history(user, null, HISTORY_SIZE),
                "each stream trimmed to the history size, the newest kept");
        assertEquals(toUser.get(0).id(), broker.replay(user, null).maxDeleted(), "trimming is recorded for gap detection");
    }

    @Test
    void aBatchTakesAsManyPermitsAsItHoldsOrNone() {
        Broker.RateLimit limit = new Broker.RateLimit("publisher-" + UUID.randomUUID(), 1, 5);
        broker.publish(limit, batchOf(4));
        RateLimitedException refused = assertThrows(RateLimitedException.class, () -> broker.publish(limit, batchOf(3)));
        assertTrue(refused.retryAfter().toMillis() > 1000 && refused.retryAfter().toMillis() <= 2000,
                "two more permits are 1-2 s away: " + refused.retryAfter());
        assertEquals(4, broker.history(user, null, HISTORY_SIZE).size(), "the refused batch published nothing");
        broker.publish(limit, batchOf(1));
        assertEquals(5, broker.history(user, null, HISTORY_SIZE).size(), "the refused batch took no permit");
    }

    private List<Broker.Publication> batchOf(int size) {
        return IntStream.range(0, size).mapToObj(i -> new Broker.Publication(user, Payload.parse("{\"n\":" + i + "}"))).toList();
    }

    // ---------------------------------------------------------------------------------------- idempotency keys

    final String caller = "publisher-" + UUID.randomUUID();

    Publication keyed(Stream stream, String key, String json) {
        return new Publication(stream, Payload.parse(json), new IdempotencyKey(caller, key));
    }

    /** Publishes an unkeyed marker and asserts that it is the next live notification: nothing else came before it. */
    void assertNextLiveIsANewMarker(String what) throws InterruptedException {
        Notification marker = broker.publish(user, Payload.parse("{\"marker\":\"" + UUID.randomUUID() + "\"}"));
        assertEquals(marker, live.next(), what);
    }

    @Test
    void aRepeatedKeyWithTheSameBodyIsAnsweredWithTheOriginalIdAndPublishesNothing() throws InterruptedException {
        Publication order = keyed(user, "order-1", "{\"title\":\"Order placed\"}");
        Published first = broker.publish(null, List.of(order)).get(0);
        assertFalse(first.replayed(), "the first use of a key publishes");
        assertEquals(first.notification(), live.next());

        Published again = broker.publish(null, List.of(order)).get(0);
        assertTrue(again.replayed(), "the repeat is a replay");
        assertEquals(first.notification(), again.notification(), "the same id (and frame) as the original");
        assertEquals(List.of(first.notification()), broker.history(user, null, HISTORY_SIZE), "stored once");
        assertNextLiveIsANewMarker("the replay was not delivered live");
    }

    @Test
    void aRepeatedKeyWithAnotherBodyIsAConflictAndPublishesNothingOfItsCall() throws InterruptedException {
        broker.publish(null, List.of(keyed(user, "order-1", "{\"n\":1}")));
        live.next();

        IdempotencyConflictException single = assertThrows(IdempotencyConflictException.class,
                () -> broker.publish(null, List.of(keyed(user, "order-1", "{\"n\":2}"))));
        assertEquals(0, single.index());
        IdempotencyConflictException inBatch = assertThrows(IdempotencyConflictException.class, () -> broker.publish(null,
                List.of(new Publication(user, Payload.parse("{\"n\":3}")), keyed(user, "order-1", "{\"n\":4}"))));
        assertEquals(1, inBatch.index(), "the conflicting publication's position");
        IdempotencyConflictException withinCall = assertThrows(IdempotencyConflictException.class, () -> broker.publish(null,
                List.of(keyed(user, "order-2", "{\"n\":5}"), keyed(user, "order-2", "{\"n\":6}"))));
        assertEquals(1, withinCall.index(), "one key twice in a call with two bodies");

        assertEquals(1, broker.history(user, null, HISTORY_SIZE).size(), "nothing of a refused call was stored");
        assertNextLiveIsANewMarker("nothing of a refused call was delivered");
        assertFalse(broker.publish(null, List.of(keyed(user, "order-2", "{\"n\":6}"))).get(0).replayed(),
                "a refused call recorded no key");
    }

    @Test
    void aKeyIsScopedToItsCallerAndItsStream() {
        Stream other = Stream.user("other-" + UUID.randomUUID());
        Published mine = broker.publish(null, List.of(keyed(user, "shared", "{\"n\":1}"))).get(0);
        Published anotherCallers = broker.publish(null, List.of(new Publication(user, Payload.parse("{\"n\":2}"),
                new IdempotencyKey("another-" + caller, "shared")))).get(0);
        Published anotherStreams = broker.publish(null, List.of(keyed(other, "shared", "{\"n\":3}"))).get(0);

        assertFalse(anotherCallers.replayed() || anotherStreams.replayed(), "neither is a replay of the first");
        assertEquals(2, broker.history(user, null, HISTORY_SIZE).size(), "another caller's same key published");
        assertEquals(List.of(anotherStreams.notification()), broker.history(other, null, HISTORY_SIZE));
        assertEquals(mine.notification(), broker.publish(null, List.of(keyed(user, "shared", "{\"n\":1}"))).get(0).notification(),
                "the first caller's key still answers with its own id");
    }

    @Test
    void aBatchMixesReplaysNewItemsAndRepeatsWithinItselfAndDeliversOnlyTheNewOnes() throws InterruptedException {
        Published earlier = broker.publish(null, List.of(keyed(user, "a", "{\"n\":1}"))).get(0);
        live.next();

        List<Published> batch = broker.publish(null, List.of(
                keyed(user, "a", "{\"n\":1}"), keyed(user, "b", "{\"n\":2}"), keyed(user, "b", "{\"n\":2}"),
                new Publication(user, Payload.parse("{\"n\":3}"))));

        assertEquals(List.of(true, false, true, false), batch.stream().map(Published::replayed).toList());
        assertEquals(earlier.notification(), batch.get(0).notification(), "a replay of the earlier call");
        assertEquals(batch.get(1).notification(), batch.get(2).notification(), "a repeat within the batch answers the first's id");
        assertEquals(List.of(earlier.notification(), batch.get(1).notification(), batch.get(3).notification()),
                broker.history(user, null, HISTORY_SIZE), "only the new items stored, once each");
        assertEquals(batch.get(1).notification(), live.next());
        assertEquals(batch.get(3).notification(), live.next());
        assertNextLiveIsANewMarker("replays were not delivered live");
    }

    @Test
    void aReplayTakesNoPermit() {
        Broker.RateLimit limit = new Broker.RateLimit(caller, 1, 2);
        Publication order = keyed(user, "order-1", "{\"n\":1}");
        broker.publish(limit, List.of(order));
        for (int i = 0; i < 5; i++) {
            assertTrue(broker.publish(limit, List.of(order)).get(0).replayed());
        }
        broker.publish(limit, List.of(keyed(user, "order-2", "{\"n\":2}")));
        assertThrows(RateLimitedException.class, () -> broker.publish(limit, List.of(keyed(user, "order-3", "{\"n\":3}"))),
                "the burst of 2 is spent by the two new ones only");
        assertTrue(broker.publish(limit, List.of(order)).get(0).replayed(), "a replay passes even with no permit left");
    }

    @Test
    void aKeyIsForgottenAfterTheTtl() {
        Duration ttl = Duration.ofSeconds(2);
        try (Broker shortLived = createBroker(HISTORY_SIZE, ttl)) {
            Publication order = keyed(user, "order-1", "{\"n\":1}");
            Published first = shortLived.publish(null, List.of(order)).get(0);
            assertTrue(shortLived.publish(null, List.of(order)).get(0).replayed(), "remembered within the ttl");

            outlive(ttl, shortLived, order);

            Published after = shortLived.publish(null, List.of(order)).get(0);
            assertFalse(after.replayed(), "a new notification once the key expired");
            assertTrue(after.notification().id().isAfter(first.notification().id()));
            assertEquals(2, shortLived.history(user, null, HISTORY_SIZE).size());
        }
    }

    @Test
    void isReadyOnceStarted() {
        assertTrue(broker.isReady());
    }

    /** True when a publish went through; false when the broker refused it or could not confirm it (yet). */
    static boolean publishes(Broker broker, Stream stream) {
        try {
            broker.publish(stream, Payload.parse("{\"probe\":true}"));
            return true;
        } catch (BrokerUnavailableException notYet) { // PublishOutcomeUnknownException included
            return false;
        }
    }
}
