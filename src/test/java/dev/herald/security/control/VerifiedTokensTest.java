package dev.herald.security.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.security.entity.Caller;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How long a verified token is trusted without a fresh check, on a clock the test moves. */
class VerifiedTokensTest {

    /** A clock that stands still until the test moves it. */
    private static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-12-02T10:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    private final ManualClock clock = new ManualClock();
    private final VerifiedTokens tokens = new VerifiedTokens(clock);

    private Caller expiringIn(Duration duration) {
        return new Caller("alice", Set.of("publisher"), clock.now.plus(duration));
    }

    @Test
    void aTokenIsTrustedForAMinuteAtMost() {
        Caller alice = expiringIn(Duration.ofHours(1));
        tokens.put("t", alice);
        clock.now = clock.now.plus(VerifiedTokens.LIFETIME).minusMillis(1);
        assertSame(alice, tokens.get("t"));
        clock.now = clock.now.plusMillis(1);
        assertNull(tokens.get("t"), "verified afresh after a minute");
        assertEquals(0, tokens.size(), "the lapsed entry is gone");
    }

    @Test
    void aTokenIsNeverTrustedPastItsExpiry() {
        tokens.put("t", expiringIn(Duration.ofSeconds(5)));
        clock.now = clock.now.plusSeconds(4);
        assertTrue(tokens.get("t") != null);
        clock.now = clock.now.plusSeconds(1);
        assertNull(tokens.get("t"), "exp is checked on every hit");
    }

    @Test
    void anExpiredCallerIsNotKept() {
        tokens.put("t", expiringIn(Duration.ZERO));
        assertNull(tokens.get("t"));
        assertEquals(0, tokens.size());
    }

    @Test
    void lapsedEntriesGoOnceAMinuteWithoutBeingAskedFor() {
        tokens.put("old", expiringIn(Duration.ofHours(1)));
        clock.now = clock.now.plus(VerifiedTokens.LIFETIME);
        tokens.put("new", expiringIn(Duration.ofHours(1)));
        assertEquals(1, tokens.size(), "the token nobody asked for again is not kept past its lifetime");
        assertTrue(tokens.get("new") != null);
    }

    @Test
    void onlyTheSameWholeTokenHits() {
        tokens.put("header.claims.signature", expiringIn(Duration.ofHours(1)));
        assertNull(tokens.get("header.claims.signaturf"));
        assertNull(tokens.get("header.claims."));
    }

    @Test
    void theCacheIsBoundedDroppingLapsedEntriesFirst() {
        for (int i = 0; i < VerifiedTokens.MAX_ENTRIES - 1; i++) {
            tokens.put("old" + i, expiringIn(Duration.ofSeconds(1)));
        }
        tokens.put("fresh", expiringIn(Duration.ofHours(1)));
        clock.now = clock.now.plusSeconds(2);
        tokens.put("new", expiringIn(Duration.ofHours(1)));
        assertEquals(2, tokens.size(), "the lapsed ones made room");
        assertTrue(tokens.get("fresh") != null && tokens.get("new") != null);

        for (int i = 0; i < VerifiedTokens.MAX_ENTRIES; i++) {
            tokens.put("live" + i, expiringIn(Duration.ofHours(1)));
        }
        assertTrue(tokens.size() <= VerifiedTokens.MAX_ENTRIES, "never more than the bound: " + tokens.size());
    }
}
