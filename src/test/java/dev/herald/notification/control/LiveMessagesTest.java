package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Live messages are dropped while live delivery is broken and until a subscription made after it recovered: a session
 * must never be carried past a silent gap by the first notification that comes through again.
 */
class LiveMessagesTest {

    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final String PROBES = RedisKeys.probeChannel("this-node");
    private static final String CHANNEL = RedisKeys.channel(Stream.user("42"));

    private long now = 1_000_000_000L;
    private final List<String> sent = new ArrayList<>();
    private final Canary canary = new Canary(new Canary.Settings(INTERVAL, 3), sent::add, () -> { }, new Telemetry.None(), () -> now);
    private final LiveMessages messages = new LiveMessages(PROBES, canary);
    private final List<Notification> delivered = new ArrayList<>();
    private final List<Inbox.Event> inboxEvents = new ArrayList<>();
    private final Broker.Listener listener = new Broker.Listener() {
        @Override
        public void deliver(Notification notification) {
            delivered.add(notification);
        }

        @Override
        public void subscribed() {
        }

        @Override
        public void inboxChanged(Inbox.Event event) {
            inboxEvents.add(event);
        }
    };

    private void tick() {
        now += INTERVAL.toNanos();
        canary.tick();
    }

    private void live(String id) {
        messages.dispatch(CHANNEL, id + " {\"n\":1}", listener);
    }

    @Test
    void aNotificationOnAStreamChannelIsDeliveredAndAnotherNodesProbeIsIgnored() {
        live("1-0");
        messages.dispatch(RedisKeys.probeChannel("other-node"), "7", listener);
        assertEquals(1, delivered.size());
        assertEquals(Stream.user("42"), delivered.get(0).stream());
    }

    @Test
    void aNotificationThatExpiresCarriesItsExpiryAndTheSameFrame() {
        messages.dispatch(CHANNEL, "1-0/1764669600000 {\"path\":\"a/b\"}", listener);
        messages.dispatch(CHANNEL, "2-0 {\"path\":\"a/b\"}", listener);
        assertEquals(List.of(
                Notification.of(Stream.user("42"), NotificationId.parse("1-0"), "{\"path\":\"a/b\"}").expiringAt(1764669600000L),
                Notification.of(Stream.user("42"), NotificationId.parse("2-0"), "{\"path\":\"a/b\"}")), delivered);
        messages.dispatch(CHANNEL, "!1 1 1 expired - - 1-0", listener);
        assertEquals(List.of(new Inbox.Event("42", new Inbox.Counts(1, 1, 1), Inbox.Change.EXPIRED, null,
                List.of(NotificationId.parse("1-0")), null)), inboxEvents);
    }

    @Test
    void anInboxChangeGoesToTheListenerAsAnEventAndNeverAsANotification() {
        messages.dispatch(CHANNEL, "!2 1 5 marked READ - 1-0 2-3", listener);
        messages.dispatch(CHANNEL, "!2 1 5 marked UNREAD 7-0", listener);
        messages.dispatch(CHANNEL, "!1 1 4 deleted - - 2-3", listener);
        messages.dispatch(CHANNEL, "!1 1 3 retracted - - 2-4", listener);
        messages.dispatch(CHANNEL, "!not counts", listener);
        assertEquals(List.of(), delivered);
        assertEquals(List.of(
                new Inbox.Event("42", new Inbox.Counts(2, 1, 5), Inbox.Change.MARKED, Inbox.Mark.READ,
                        List.of(NotificationId.parse("1-0"), NotificationId.parse("2-3")), null),
                new Inbox.Event("42", new Inbox.Counts(2, 1, 5), Inbox.Change.MARKED, Inbox.Mark.UNREAD, List.of(), NotificationId.parse("7-0")),
                new Inbox.Event("42", new Inbox.Counts(1, 1, 4), Inbox.Change.DELETED, null, List.of(NotificationId.parse("2-3")), null),
                new Inbox.Event("42", new Inbox.Counts(1, 1, 3), Inbox.Change.RETRACTED, null, List.of(NotificationId.parse("2-4")), null)),
                inboxEvents, "the malformed one ignored");
    }

    @Test
    void inboxChangesAreNotHeldBackWhileLiveNotificationsAre() {
        canary.tick();
        for (int i = 0; i < 3; i++) {
            tick();
        }
        live("5-0");
        messages.dispatch(CHANNEL, "!1 1 1 published - - 5-0", listener);
        assertEquals(List.of(), delivered);
        assertEquals(1, inboxEvents.size(), "counts are absolute: a late one skips nothing");
    }

    @Test
    void afterATripNothingLiveIsDeliveredUntilASubscriptionConfirmedOnceProbesFlowAgain() {
        canary.tick();
        for (int i = 0; i < 3; i++) {
            tick(); // three probes missed: tripped
        }
        assertFalse(canary.isHealthy());
        live("5-0");
        messages.subscribed(); // a reconnect while still broken trusts nothing
        live("6-0");
        assertEquals(List.of(), delivered, "dropped while broken: the next catch-up brings them");

        tick(); // a probe goes out ...
        messages.dispatch(PROBES, sent.get(sent.size() - 1), listener); // ... and comes back: healthy again
        assertTrue(canary.isHealthy());
        live("9-0");
        assertEquals(List.of(), delivered, "the first notification through after the gap would carry sessions past it");

        messages.subscribed(); // the recovery's reconnect: its catch-up covers the gap, live flows again
        live("10-0");
        assertEquals(1, delivered.size());
        assertEquals("10-0", delivered.get(0).id().toString());
    }
}
