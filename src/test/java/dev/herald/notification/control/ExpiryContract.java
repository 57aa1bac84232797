package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.control.Broker.Publication;
import dev.herald.notification.control.Inbox.Change;
import dev.herald.notification.control.Inbox.Counts;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import dev.herald.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * What every engine promises about expiry, on top of the inbox contract; run against each engine by a subclass. The
 * tests sweep themselves ({@link Broker#expireDue}, as each node's {@link ExpirySweep} does twice a second) while they
 * wait for a short expiry to pass.
 */
abstract class ExpiryContract extends InboxContract {

    /** Soon enough to wait for, late enough that the checks before it run while it is still held. */
    static final Duration SHORT = Duration.ofMillis(700);

    Notification publishExpiring(Stream stream, String payload, Duration in) {
        long at = System.currentTimeMillis() + in.toMillis();
        Notification sent = broker.publish(null, List.of(new Publication(stream, Payload.parse(payload), null, at))).get(0).notification();
        assertEquals(at, sent.expiresAt(), "the published notification carries its expiry");
        return sent;
    }

    /** Sweeps until {@code done}, within 10 s of the expiry passing. */
    void sweepUntil(String what, BooleanSupplier done) {
        Await.until(what, SHORT.plusSeconds(10), () -> {
            broker.expireDue(System.currentTimeMillis());
            return done.getAsBoolean();
        });
    }

    @Test
    void anExpiredNotificationLeavesHistoryReplayInboxAndCountsAndTheListenersAreTold() throws InterruptedException {
        Notification kept = broker.publish(user, Payload.parse("{\"n\":1}"));
        Notification expiring = publishExpiring(user, "{\"n\":2}", SHORT);
        Notification later = publishExpiring(user, "{\"n\":3}", Duration.ofHours(1));
        assertEquals(List.of(kept, expiring, later), List.of(live.next(), live.next(), live.next()),
                "live notifications carry their expiry");
        broker.expireDue(System.currentTimeMillis());
        assertEquals(List.of(kept, expiring, later), broker.history(user, null, HISTORY_SIZE), "nothing expired yet");
        assertEquals(new Counts(3, 3, 3), counts());

        sweepUntil("the expired notification left history", () -> broker.history(user, null, HISTORY_SIZE).size() == 2);
        assertEquals(List.of(kept, later), broker.history(user, null, HISTORY_SIZE));
        assertEquals(List.of(kept.id(), later.id()), inbox().inbox(me(), Inbox.Filter.ALL, null, HISTORY_SIZE).stream()
                .map(entry -> entry.notification().id()).toList());
        assertEquals(new Counts(2, 2, 2), counts());
        assertEquals(recount(), counts());
        Inbox.Event event;
        do {
            event = nextInboxEvent();
        } while (event.change() == Change.PUBLISHED);
        assertEquals(Change.EXPIRED, event.change(), "told like a delete: " + event);
        assertEquals(List.of(expiring.id()), event.ids());
        assertEquals(new Counts(2, 2, 2), event.counts());

        Broker.Replay fromBefore = broker.replay(user, kept.id());
        assertEquals(List.of(later), fromBefore.entries(), "the expired one is not replayed");
        assertTrue(fromBefore.canResume(kept.id()), "resuming from before an expired id is no gap");
        assertTrue(broker.replay(user, expiring.id()).canResume(expiring.id()), "resuming from an expired id is no gap");
    }

    @Test
    void expiryIsNoGapOnAGroupStreamWhileTrimmingStillIs() {
        Stream group = Stream.group("g-" + me());
        Notification first = broker.publish(group, Payload.parse("{\"n\":1}"));
        Notification expiring = publishExpiring(group, "{\"n\":2}", SHORT);
        Notification third = broker.publish(group, Payload.parse("{\"n\":3}"));
        sweepUntil("the expired notification left the group's history", () -> broker.history(group, null, HISTORY_SIZE).size() == 2);
        assertEquals(List.of(first, third), broker.history(group, null, HISTORY_SIZE));
        assertTrue(broker.replay(group, first.id()).canResume(first.id()), "from before the expired id");
        assertTrue(broker.replay(group, expiring.id()).canResume(expiring.id()), "from the expired id");
        assertEquals(List.of(third), broker.replay(group, expiring.id()).entries());

        publish(group, HISTORY_SIZE); // trims first and third
        assertFalse(broker.replay(group, first.id()).canResume(first.id()), "what trimming removed is still a gap");
        assertFalse(broker.replay(group, expiring.id()).canResume(expiring.id()), "third was trimmed after the expired id");
    }

    @Test
    void trimmingAfterAnExpiryIsStillAGapOnAUsersStream() {
        Notification first = broker.publish(user, Payload.parse("{\"n\":1}"));
        publishExpiring(user, "{\"n\":2}", SHORT);
        sweepUntil("the expired notification left history", () -> broker.history(user, null, HISTORY_SIZE).size() == 1);
        List<Notification> newer = publish(user, HISTORY_SIZE + 1); // trims first and the first newer one
        assertFalse(broker.replay(user, first.id()).canResume(first.id()), "trimmed after the expired id");
        assertTrue(broker.replay(user, newer.get(0).id()).canResume(newer.get(0).id()), "from the newest trimmed id");
        assertEquals(new Counts(HISTORY_SIZE, HISTORY_SIZE, HISTORY_SIZE), counts());
        assertEquals(recount(), counts());
    }
}
