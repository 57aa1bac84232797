package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Notification;
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
    private final Broker.Listener listener = new Broker.Listener() {
        @Override
        public void deliver(Notification notification) {
            delivered.add(notification);
        }

        @Override
        public void subscribed() {
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
