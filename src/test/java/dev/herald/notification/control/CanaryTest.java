package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The canary's bookkeeping on a manual clock: what counts as a miss, when it trips, and what makes it healthy again. */
class CanaryTest {

    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private long now = 1_000_000_000L;
    private final List<String> sent = new ArrayList<>();
    private int reconnects;
    private boolean sendFails;
    private final ProbeMisses misses = new ProbeMisses();
    private final Canary canary = new Canary(new Canary.Settings(INTERVAL, 3), message -> {
        if (sendFails) {
            throw new IllegalStateException("Redis is unreachable");
        }
        sent.add(message);
    }, () -> reconnects++, misses, () -> now);

    /** One interval later, the canary's tick. */
    private void nextTick() {
        now += INTERVAL.toNanos();
        canary.tick();
    }

    private String lastSent() {
        return sent.get(sent.size() - 1);
    }

    @Test
    void probesThatComeBackInTimeAreNoMisses() {
        canary.tick();
        for (int i = 0; i < 10; i++) {
            canary.arrived(lastSent());
            nextTick();
        }
        assertEquals(11, sent.size(), "one probe per tick: " + sent);
        assertEquals(0, misses.count());
        assertEquals(0, reconnects);
        assertTrue(canary.isHealthy());
    }

    @Test
    void eachProbeNotBackWithinItsIntervalIsOneMissAndTheThirdInARowTripsIt() {
        canary.tick();
        nextTick();
        nextTick();
        assertEquals(2, misses.count());
        assertTrue(canary.isHealthy(), "two misses are not enough");
        assertEquals(0, reconnects);
        nextTick();
        assertEquals(3, misses.count());
        assertFalse(canary.isHealthy(), "tripped at the third miss in a row");
        assertEquals(1, reconnects, "the subscriber is reconnected once");
        assertEquals(3, sent.size(), "no probe at the tick that reconnects: the new subscription gets an interval to come up");
    }

    @Test
    void theNextProbeThatComesBackMakesItHealthyAgain() {
        trip();
        nextTick();
        assertFalse(canary.isHealthy(), "still tripped until a probe arrives");
        canary.arrived(lastSent());
        assertTrue(canary.isHealthy());
        nextTick();
        nextTick();
        assertTrue(canary.isHealthy(), "the count starts over: one miss is not three");
        assertEquals(2, reconnects, "once at the trip, once more when probes flow again: a catch-up to now");
    }

    @Test
    void aLateProbeOfAnOlderTokenIsNotAFreshOne() {
        canary.tick();
        String first = lastSent();
        nextTick();
        canary.arrived(first); // the first probe, after the second went out
        nextTick();
        nextTick();
        assertFalse(canary.isHealthy(), "the late probe did not reset the count: " + misses.count() + " misses");
        canary.arrived(first);
        canary.arrived(sent.get(1));
        assertFalse(canary.isHealthy(), "old probes arriving after the trip do not make it healthy");
    }

    @Test
    void aTickBeforeTheProbeHadItsIntervalChangesNothing() {
        canary.tick();
        now += INTERVAL.toNanos() / 2;
        canary.tick();
        canary.tick();
        assertEquals(1, sent.size(), sent::toString);
        assertEquals(0, misses.count());
    }

    @Test
    void whileTrippedItReconnectsAgainEveryThreeMisses() {
        trip();
        for (int i = 0; i < 8; i++) {
            nextTick(); // after each reconnect one tick sends, the next three miss
        }
        assertEquals(3, reconnects, "at the 3rd, 6th and 9th miss");
        assertEquals(9, misses.count());
        assertFalse(canary.isHealthy());
    }

    @Test
    void aProbeThatCouldNotBeSentIsMissed() {
        sendFails = true;
        canary.tick();
        nextTick();
        nextTick();
        assertEquals(2, misses.count());
        sendFails = false;
        nextTick();
        assertFalse(canary.isHealthy());
        nextTick();
        canary.arrived(lastSent());
        assertTrue(canary.isHealthy(), "healthy once a probe is sent and comes back");
    }

    @Test
    void missesThatAreNotInARowDoNotTripIt() {
        canary.tick();
        for (int i = 0; i < 5; i++) {
            nextTick();
            nextTick();
            canary.arrived(lastSent());
            nextTick();
        }
        assertEquals(10, misses.count(), "two of every three probes missed");
        assertTrue(canary.isHealthy());
        assertEquals(0, reconnects);
    }

    @Test
    void anIntervalUnder100MillisecondsOrFewerThanOneMissIsRefusedAtStart() {
        assertThrows(IllegalStateException.class, () -> new Canary.Settings(Duration.ofMillis(99), 3));
        assertThrows(IllegalStateException.class, () -> new Canary.Settings(Duration.ofSeconds(1), 0));
        assertEquals(3, Canary.Settings.DEFAULT.misses());
    }

    private void trip() {
        canary.tick();
        nextTick();
        nextTick();
        nextTick();
        assertFalse(canary.isHealthy());
    }
}
