package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.control.Broker.Publication;
import dev.herald.notification.control.Inbox.Change;
import dev.herald.notification.control.Inbox.Counts;
import dev.herald.notification.control.Inbox.Entry;
import dev.herald.notification.control.Inbox.Filter;
import dev.herald.notification.control.Inbox.Mark;
import dev.herald.notification.control.Inbox.Remover;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What every engine's inbox promises, on top of the broker contract; run against each engine by a subclass. */
abstract class InboxContract extends BrokerContract {

    Inbox inbox() {
        return broker.inbox();
    }

    String me() {
        return user.userId();
    }

    Counts counts() {
        return inbox().counts(me());
    }

    List<NotificationId> ids(List<Notification> notifications) {
        return notifications.stream().map(Notification::id).toList();
    }

    /** The counts as a recount of every entry's state would have them: what the engine must never need to do. */
    Counts recount() {
        List<Entry> all = inbox().inbox(me(), Filter.ALL, null, HISTORY_SIZE);
        List<Entry> kept = all.stream().filter(entry -> !entry.archived()).toList();
        return new Counts(kept.stream().filter(entry -> !entry.read()).count(), kept.stream().filter(entry -> !entry.seen()).count(),
                kept.size());
    }

    /** The next inbox event for this test's user, within 10 s. */
    Inbox.Event nextInboxEvent() throws InterruptedException {
        while (true) {
            Inbox.Event event = live.inboxEvents.poll(10, TimeUnit.SECONDS);
            assertNotNull(event, "an inbox event within 10 s");
            if (event.userId().equals(me())) {
                return event;
            }
        }
    }

    @Test
    void aUsersNewNotificationsAreUnreadAndUnseenWhileGroupAndBroadcastStreamsHaveNoInbox() {
        assertEquals(Counts.NONE, counts(), "nothing published yet");
        List<Notification> sent = publish(user, 3);
        broker.publish(Stream.group(me()), Payload.parse("{}"));
        broker.publish(Stream.BROADCAST, Payload.parse("{}"));
        assertEquals(new Counts(3, 3, 3), counts());
        assertEquals(sent.stream().map(n -> new Entry(n, false, false, false)).toList(), inbox().inbox(me(), Filter.INBOX, null, 10));
    }

    @Test
    void aBatchCountsEachNewEntryOnceAndAnIdempotentReplayAddsNothing() {
        Stream other = Stream.user("other-" + UUID.randomUUID());
        Publication keyed = keyed(user, "order-1", "{\"n\":1}");
        broker.publish(null, List.of(keyed, new Publication(user, Payload.parse("{\"n\":2}")), new Publication(other, Payload.parse("{}")),
                new Publication(Stream.group(me()), Payload.parse("{}")), keyed));
        assertEquals(new Counts(2, 2, 2), counts(), "two new entries for the user, the repeat within the batch none");
        assertEquals(new Counts(1, 1, 1), inbox().counts(other.userId()));
        assertTrue(broker.publish(null, List.of(keyed)).get(0).replayed());
        assertEquals(new Counts(2, 2, 2), counts(), "a replay adds nothing");
    }

    @Test
    void readAlsoMarksSeenUnreadLeavesItSeenAndSeenAloneLeavesItUnread() {
        List<NotificationId> ids = ids(publish(user, 3));
        assertEquals(new Counts(2, 2, 3), inbox().mark(me(), Mark.READ, List.of(ids.get(0))), "read implies seen");
        assertEquals(new Counts(3, 2, 3), inbox().mark(me(), Mark.UNREAD, List.of(ids.get(0))), "unread, still seen");
        assertEquals(new Counts(3, 1, 3), inbox().mark(me(), Mark.SEEN, List.of(ids.get(1))));
        assertEquals(new Counts(3, 1, 3), inbox().mark(me(), Mark.SEEN, List.of(ids.get(1), ids.get(1))), "marking twice changes nothing");
        List<Entry> entries = inbox().inbox(me(), Filter.ALL, null, 3);
        assertEquals(List.of(false, false, false), entries.stream().map(Entry::read).toList());
        assertEquals(List.of(true, true, false), entries.stream().map(Entry::seen).toList());
        assertEquals(counts(), recount());
    }

    @Test
    void archivedEntriesCountInNoneAndUnarchivingRestoresThemAsTheyWere() {
        List<NotificationId> ids = ids(publish(user, 3));
        inbox().mark(me(), Mark.READ, List.of(ids.get(0)));
        assertEquals(new Counts(1, 1, 2), inbox().mark(me(), Mark.ARCHIVE, List.of(ids.get(1))), "the unread unseen one archived");
        assertEquals(new Counts(1, 1, 1), inbox().mark(me(), Mark.ARCHIVE, List.of(ids.get(0))), "the read one archived");
        assertEquals(List.of(ids.get(0), ids.get(1)), entryIds(Filter.ARCHIVED));
        assertEquals(List.of(ids.get(2)), entryIds(Filter.INBOX));
        assertEquals(ids, entryIds(Filter.ALL));
        assertEquals(new Counts(1, 1, 2), inbox().mark(me(), Mark.UNARCHIVE, List.of(ids.get(0))), "back, read as before");
        assertEquals(new Counts(1, 1, 2), inbox().mark(me(), Mark.READ, List.of(ids.get(1))), "archived: read changes no count");
        assertEquals(new Counts(1, 1, 3), inbox().mark(me(), Mark.UNARCHIVE, List.of(ids.get(1))), "back, read as marked meanwhile");
        assertEquals(counts(), recount());
    }

    List<NotificationId> entryIds(Filter filter) {
        return inbox().inbox(me(), filter, null, HISTORY_SIZE).stream().map(entry -> entry.notification().id()).toList();
    }

    @Test
    void markingUpToAnIdMarksEveryEntryUpToAndIncludingIt() {
        List<NotificationId> ids = ids(publish(user, 4));
        assertEquals(new Counts(2, 2, 4), inbox().markUpTo(me(), Mark.READ, ids.get(1)));
        assertEquals(List.of(ids.get(2), ids.get(3)), entryIds(Filter.UNREAD));
        assertEquals(new Counts(0, 0, 4), inbox().markUpTo(me(), Mark.READ, ids.get(3)), "mark all read: up to the newest");
        assertEquals(new Counts(4, 0, 4), inbox().markUpTo(me(), Mark.UNREAD, NotificationId.parse("99999999999999-0")));
    }

    @Test
    void idsTheInboxDoesNotHoldAreIgnoredAndTellNobody() throws InterruptedException {
        List<NotificationId> ids = ids(publish(user, HISTORY_SIZE + 1));
        assertInboxEvent(publishing(ids.get(ids.size() - 1)), counts(), "after the publishes");
        NotificationId trimmed = ids.get(0);
        Counts before = counts();
        assertEquals(before, inbox().mark(me(), Mark.READ, List.of(trimmed, NotificationId.parse("1-0"))));
        assertEquals(Counts.NONE, inbox().mark("nobody-" + UUID.randomUUID(), Mark.READ, List.of(trimmed)), "a user with no stream");
        assertEquals(Optional.empty(), inbox().delete(me(), trimmed, Remover.USER));
        assertEquals(before, inbox().markUpTo(me(), Mark.READ, NotificationId.parse("1-0")), "up to an id before them all");
        inbox().mark(me(), Mark.SEEN, List.of(ids.get(ids.size() - 1)));
        assertEquals(Change.MARKED, nextInboxEvent().change(), "the next event is the first change that held an id");
    }

    @Test
    void trimmingPastTheHistorySizeTakesTheTrimmedEntriesOutOfTheCounts() {
        List<NotificationId> ids = ids(publish(user, HISTORY_SIZE));
        inbox().mark(me(), Mark.READ, List.of(ids.get(0)));
        inbox().mark(me(), Mark.ARCHIVE, List.of(ids.get(1)));
        inbox().mark(me(), Mark.SEEN, List.of(ids.get(2)));
        assertEquals(new Counts(3, 2, 4), counts());
        publish(user, 3); // trims the three marked ones
        assertEquals(new Counts(HISTORY_SIZE, HISTORY_SIZE, HISTORY_SIZE), counts());
        broker.publish(List.of(new Publication(user, Payload.parse("{}")), new Publication(user, Payload.parse("{}"))));
        assertEquals(new Counts(HISTORY_SIZE, HISTORY_SIZE, HISTORY_SIZE), counts(), "a batch that trims");
        assertEquals(counts(), recount());
    }

    @Test
    void theInboxFiltersAndPagesLikeHistory() {
        List<NotificationId> ids = ids(publish(user, 5));
        inbox().mark(me(), Mark.READ, List.of(ids.get(1), ids.get(3)));
        inbox().mark(me(), Mark.SEEN, List.of(ids.get(4)));
        inbox().mark(me(), Mark.ARCHIVE, List.of(ids.get(0)));
        assertEquals(List.of(ids.get(2), ids.get(4)), entryIds(Filter.UNREAD));
        assertEquals(List.of(ids.get(2)), entryIds(Filter.UNSEEN));
        assertEquals(List.of(ids.get(0)), entryIds(Filter.ARCHIVED));
        assertEquals(ids.subList(1, 5), entryIds(Filter.INBOX));
        assertEquals(List.of(ids.get(3), ids.get(4)), page(Filter.INBOX, null, 2), "the newest two, oldest first");
        assertEquals(List.of(ids.get(1), ids.get(2)), page(Filter.INBOX, ids.get(0), 2), "the first two after an id");
        assertEquals(List.of(ids.get(4)), page(Filter.UNREAD, ids.get(2), 2), "after an id, filtered");
        assertEquals(List.of(), page(Filter.ARCHIVED, ids.get(0), 2));
        Entry third = inbox().inbox(me(), Filter.ALL, ids.get(2), 1).get(0);
        assertEquals(new Entry(broker.history(user, ids.get(2), 1).get(0), true, true, false), third, "entries as history has them");
    }

    List<NotificationId> page(Filter filter, NotificationId after, int limit) {
        return inbox().inbox(me(), filter, after, limit).stream().map(entry -> entry.notification().id()).toList();
    }

    @Test
    void aDeletedNotificationIsGoneFromHistoryReplayInboxAndCounts() {
        List<Notification> sent = publish(user, 3);
        inbox().mark(me(), Mark.READ, List.of(sent.get(0).id()));
        assertEquals(Optional.of(new Counts(1, 1, 2)), inbox().delete(me(), sent.get(1).id(), Remover.USER));
        assertEquals(List.of(sent.get(0), sent.get(2)), broker.history(user, null, HISTORY_SIZE));
        assertEquals(List.of(sent.get(2)), broker.replay(user, sent.get(0).id()).entries());
        assertEquals(List.of(sent.get(0).id(), sent.get(2).id()), entryIds(Filter.ALL));
        assertEquals(Optional.of(new Counts(1, 1, 1)), inbox().delete(me(), sent.get(0).id(), Remover.USER), "a read one: only total changes");
        assertEquals(Optional.empty(), inbox().delete(me(), sent.get(1).id(), Remover.USER), "already deleted: REST answers 404");
        assertEquals(Optional.empty(), inbox().delete("nobody-" + UUID.randomUUID(), sent.get(2).id(), Remover.USER));
        assertEquals(new Counts(1, 1, 1), counts());
    }

    @Test
    void resumingFromBeforeOrFromADeletedEntryIsNoGapAndDoesNotReplayIt() {
        List<Notification> sent = publish(user, 4);
        inbox().delete(me(), sent.get(2).id(), Remover.USER);
        Broker.Replay fromBefore = broker.replay(user, sent.get(0).id());
        assertTrue(fromBefore.canResume(sent.get(0).id()), "a deletion is no gap");
        assertEquals(List.of(sent.get(1), sent.get(3)), fromBefore.entries());
        Broker.Replay fromDeleted = broker.replay(user, sent.get(2).id());
        assertTrue(fromDeleted.canResume(sent.get(2).id()), "a client that saw the deleted one resumes from it");
        assertEquals(List.of(sent.get(3)), fromDeleted.entries());
        inbox().delete(me(), sent.get(3).id(), Remover.USER);
        assertTrue(broker.replay(user, sent.get(3).id()).canResume(sent.get(3).id()), "the newest one deleted");
    }

    @Test
    void resumingFromATrimmedIdIsStillAGapAfterDeletions() {
        List<Notification> sent = publish(user, 3);
        inbox().delete(me(), sent.get(1).id(), Remover.USER);
        List<Notification> more = publish(user, HISTORY_SIZE); // trims sent[0] and sent[2] (sent[1] is gone already)
        Broker.Replay replay = broker.replay(user, sent.get(0).id());
        assertFalse(replay.canResume(sent.get(0).id()), "entries after it were trimmed");
        assertFalse(broker.replay(user, sent.get(1).id()).canResume(sent.get(1).id()), "sent[2] after it was trimmed");
        assertTrue(broker.replay(user, sent.get(2).id()).canResume(sent.get(2).id()), "the newest trimmed one is complete");
        inbox().delete(me(), more.get(0).id(), Remover.USER);
        assertFalse(broker.replay(user, sent.get(0).id()).canResume(sent.get(0).id()), "a later deletion hides no trimming");
        assertTrue(broker.replay(user, sent.get(2).id()).canResume(sent.get(2).id()));
    }

    /**
     * A stream whose user deletes everything never trims, so deleted ids are remembered only up to the history size:
     * resuming from the oldest one then reads as a gap (a needless reload, never a silent loss).
     */
    @Test
    void deletedIdsAreRememberedUpToTheHistorySize() {
        List<NotificationId> ids = new ArrayList<>();
        for (int i = 0; i <= HISTORY_SIZE; i++) {
            NotificationId id = broker.publish(user, Payload.parse("{}")).id();
            inbox().delete(me(), id, Remover.USER);
            ids.add(id);
        }
        assertEquals(List.of(), broker.history(user, null, HISTORY_SIZE));
        assertEquals(Counts.NONE, counts());
        assertFalse(broker.replay(user, ids.get(0)).canResume(ids.get(0)), "the oldest forgotten");
        for (NotificationId id : ids.subList(1, ids.size())) {
            assertTrue(broker.replay(user, id).canResume(id), id + " remembered");
        }
    }

    @Test
    void everyChangeTellsListenersWhatChangedWithTheCountsAfterIt() throws InterruptedException {
        List<NotificationId> ids = ids(publish(user, 2));
        Inbox.Event first = nextInboxEvent();
        assertEquals(new Inbox.Event(me(), new Counts(1, 1, 1), Change.PUBLISHED, null, List.of(ids.get(0)), null), first);
        assertEquals(new Counts(2, 2, 2), nextInboxEvent().counts());

        Counts read = inbox().mark(me(), Mark.READ, List.of(ids.get(1), NotificationId.parse("1-0")));
        assertEquals(new Inbox.Event(me(), read, Change.MARKED, Mark.READ, List.of(ids.get(1)), null), nextInboxEvent(),
                "the ids the inbox held");
        Counts all = inbox().markUpTo(me(), Mark.SEEN, ids.get(1));
        assertEquals(new Inbox.Event(me(), all, Change.MARKED, Mark.SEEN, List.of(), ids.get(1)), nextInboxEvent());
        Counts deleted = inbox().delete(me(), ids.get(0), Remover.USER).orElseThrow();
        assertEquals(new Inbox.Event(me(), deleted, Change.DELETED, null, List.of(ids.get(0)), null), nextInboxEvent());
        assertEquals(counts(), deleted);
    }

    @Test
    void aPublisherRetractionRemovesLikeADeleteAndIsToldApartFromIt() throws InterruptedException {
        List<Notification> sent = publish(user, 3);
        assertInboxEvent(publishing(sent.get(2).id()), new Counts(3, 3, 3), "after the publishes");
        assertEquals(Optional.of(new Counts(2, 2, 2)), inbox().delete(me(), sent.get(1).id(), Remover.PUBLISHER));
        assertEquals(new Inbox.Event(me(), new Counts(2, 2, 2), Change.RETRACTED, null, List.of(sent.get(1).id()), null), nextInboxEvent());
        assertEquals(List.of(sent.get(0), sent.get(2)), broker.history(user, null, HISTORY_SIZE));
        assertEquals(List.of(sent.get(2)), broker.replay(user, sent.get(0).id()).entries());
        assertEquals(Optional.empty(), inbox().delete(me(), sent.get(1).id(), Remover.USER), "retracted already");
        assertEquals(Optional.of(new Counts(1, 1, 1)), inbox().delete(me(), sent.get(0).id(), Remover.USER));
        assertEquals(Change.DELETED, nextInboxEvent().change(), "the user's own delete");
    }

    /**
     * Skips events until the one {@code ofTheChange} picks (on Redis events arrive after the call returns; the memory
     * engine tells each entry of a batch as it stores it), and asserts that it carries {@code counts}.
     */
    void assertInboxEvent(Predicate<Inbox.Event> ofTheChange, Counts counts, String what) throws InterruptedException {
        Inbox.Event event = nextInboxEvent();
        while (!ofTheChange.test(event)) {
            event = nextInboxEvent();
        }
        assertEquals(counts, event.counts(), what + ": the change's event carries the counts");
    }

    /** The event of the publish that stored {@code id}. */
    static Predicate<Inbox.Event> publishing(NotificationId id) {
        return event -> event.change() == Change.PUBLISHED && event.ids().contains(id);
    }

    /**
     * A few hundred random changes; after each, the counts equal a recount of the entries' states and a model's, and
     * the listener's latest event carries them. Prints its seed: {@code -Dinbox.seed=<seed>} repeats a failing run.
     */
    @Test
    void randomChangesNeverLetTheCountsDrift() throws InterruptedException {
        long seed = Long.getLong("inbox.seed", System.nanoTime());
        Random random = new Random(seed);
        Map<NotificationId, Integer> model = new HashMap<>(); // id -> flags, of the entries history holds
        List<NotificationId> held = new ArrayList<>();
        List<NotificationId> gone = new ArrayList<>();
        int steps = 300;
        for (int step = 0; step < steps; step++) {
            String what = "seed " + seed + ", step " + step;
            boolean told = true;
            Predicate<Inbox.Event> ofTheChange = event -> true; // a mark or a delete tells one event: the next
            switch (random.nextInt(7)) {
                case 0, 1 -> {
                    int count = 1 + random.nextInt(3);
                    List<Publication> batch = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        batch.add(random.nextInt(4) == 0 ? keyed(user, "k" + random.nextInt(3), "{\"k\":1}")
                                : new Publication(user, Payload.parse("{\"n\":" + step + "}")));
                    }
                    List<Broker.Published> published = broker.publish(null, batch);
                    told = published.stream().anyMatch(p -> !p.replayed());
                    for (Broker.Published p : published) {
                        if (!p.replayed()) {
                            held.add(p.notification().id());
                            model.put(p.notification().id(), 0);
                            ofTheChange = publishing(p.notification().id());
                        }
                    }
                    while (held.size() > HISTORY_SIZE) {
                        NotificationId trimmed = held.remove(0);
                        model.remove(trimmed);
                        gone.add(trimmed);
                    }
                }
                case 2, 3 -> {
                    Mark mark = Mark.values()[random.nextInt(Mark.values().length)];
                    List<NotificationId> chosen = new ArrayList<>();
                    for (int i = random.nextInt(3); i >= 0; i--) {
                        chosen.add(pick(random, held, gone));
                    }
                    inbox().mark(me(), mark, chosen);
                    told = chosen.stream().anyMatch(model::containsKey);
                    chosen.stream().filter(model::containsKey).forEach(id -> model.put(id, expected(mark, model.get(id))));
                }
                case 4 -> {
                    Mark mark = Mark.values()[random.nextInt(Mark.values().length)];
                    NotificationId upTo = pick(random, held, gone);
                    inbox().markUpTo(me(), mark, upTo);
                    told = held.stream().anyMatch(id -> !id.isAfter(upTo));
                    held.stream().filter(id -> !id.isAfter(upTo)).forEach(id -> model.put(id, expected(mark, model.get(id))));
                }
                default -> {
                    NotificationId id = pick(random, held, gone);
                    Optional<Counts> deleted = inbox().delete(me(), id, Remover.USER);
                    told = held.remove(id);
                    assertEquals(told, deleted.isPresent(), what + ": delete found it");
                    model.remove(id);
                    gone.add(id);
                }
            }
            Counts counts = counts();
            assertEquals(recount(), counts, what + ": counts equal a recount");
            assertEquals(modelCounts(model), counts, what + ": counts equal the model's");
            assertEquals(held, entryIds(Filter.ALL), what + ": the inbox holds what the model does");
            if (told) {
                assertInboxEvent(ofTheChange, counts, what);
            }
        }
        System.out.println("inbox: steps " + steps + ", drift 0 (seed " + seed + ")");
    }

    /**
     * Publishes, marks and deletes from several threads at once (on Redis: several pooled connections, as several
     * nodes would be): no change is lost between reading and writing the counts, and the last event tells the end state.
     */
    @Test
    void concurrentChangesKeepTheCountsExact() throws Exception {
        int threads = 4;
        int steps = 60;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    Random random = new Random();
                    for (int step = 0; step < steps; step++) {
                        List<Notification> history = broker.history(user, null, HISTORY_SIZE);
                        NotificationId some = history.isEmpty() ? NotificationId.parse("1-0")
                                : history.get(random.nextInt(history.size())).id();
                        Mark mark = Mark.values()[random.nextInt(Mark.values().length)];
                        switch (random.nextInt(5)) {
                            case 0, 1 -> broker.publish(user, Payload.parse("{\"n\":" + step + "}"));
                            case 2 -> inbox().mark(me(), mark, List.of(some));
                            case 3 -> inbox().markUpTo(me(), mark, some);
                            default -> inbox().delete(me(), some, Remover.USER);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> thread : done) {
                thread.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Counts counts = counts();
        assertEquals(recount(), counts, "after " + threads * steps + " concurrent changes");
        Inbox.Event latest = nextInboxEvent();
        while (!latest.counts().equals(counts) || !live.inboxEvents.isEmpty()) { // the last change's comes last
            latest = nextInboxEvent();
        }
    }

    private static NotificationId pick(Random random, List<NotificationId> held, List<NotificationId> gone) {
        if (!gone.isEmpty() && random.nextInt(5) == 0) {
            return gone.get(random.nextInt(gone.size()));
        }
        return held.isEmpty() ? NotificationId.parse("1-0") : held.get(random.nextInt(held.size()));
    }

    /** The model's own reading of the marks (read implies seen), written apart from {@link Mark#applyTo}. */
    private static int expected(Mark mark, int flags) {
        boolean read = (flags & 1) != 0;
        boolean seen = (flags & 2) != 0;
        boolean archived = (flags & 4) != 0;
        switch (mark) {
            case READ -> {
                read = true;
                seen = true;
            }
            case UNREAD -> read = false;
            case SEEN -> seen = true;
            case ARCHIVE -> archived = true;
            case UNARCHIVE -> archived = false;
        }
        return (read ? 1 : 0) | (seen ? 2 : 0) | (archived ? 4 : 0);
    }

    private static Counts modelCounts(Map<NotificationId, Integer> model) {
        List<Integer> kept = model.values().stream().filter(flags -> (flags & 4) == 0).toList();
        return new Counts(kept.stream().filter(flags -> (flags & 1) == 0).count(), kept.stream().filter(flags -> (flags & 2) == 0).count(),
                kept.size());
    }
}
