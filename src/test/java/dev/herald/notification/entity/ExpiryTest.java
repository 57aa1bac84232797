package dev.herald.notification.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.problem.entity.BadInputException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ExpiryTest {

    private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");

    @Test
    void aDurationCountsFromNow() {
        assertEquals(NOW.plus(Duration.ofMinutes(10)), Expiry.parse("PT10M", NOW));
        assertEquals(NOW.plusMillis(1), Expiry.parse("PT0.001S", NOW));
        assertEquals(NOW.plus(Duration.ofDays(2)), Expiry.parse(" P2D ", NOW));
    }

    @Test
    void anInstantIsTakenAsItIs() {
        assertEquals(Instant.parse("2026-12-02T10:00:01Z"), Expiry.parse("2026-12-02T10:00:01Z", NOW));
    }

    @Test
    void aPastInstantOrANonPositiveDurationIsRefused() {
        for (String refused : new String[] {"2026-12-02T10:00:00Z", "2026-12-02T09:59:59Z", "PT0S", "-PT1M", "PT-1S"}) {
            BadInputException e = assertThrows(BadInputException.class, () -> Expiry.parse(refused, NOW), refused);
            assertTrue(e.getMessage().contains(refused.strip()), e.getMessage());
        }
    }

    @Test
    void aMalformedExpiryIsRefused() {
        for (String malformed : new String[] {"", " ", "10m", "PT10", "tomorrow", "2026-12-02", "2026-12-02T10:00:00",
                "+1000000000-01-01T00:00:00Z", "PT9999999999999999H"}) {
            assertThrows(BadInputException.class, () -> Expiry.parse(malformed, NOW), malformed);
        }
    }
}
