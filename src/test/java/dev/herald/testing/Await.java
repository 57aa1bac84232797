package dev.herald.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a deadline (or watches one hold for a while), checking every few milliseconds. */
public final class Await {

    private Await() {
    }

    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        if (!within(timeout, condition)) {
            fail("timed out after " + timeout.toSeconds() + " s waiting until " + what);
        }
    }

    /** Checks every few milliseconds that {@code condition} holds for the whole {@code window}; fails the test when it does not. */
    public static void holdsFor(String what, Duration window, BooleanSupplier condition) {
        Instant end = Instant.now().plus(window);
        while (Instant.now().isBefore(end)) {
            if (!condition.getAsBoolean()) {
                fail("did not hold for " + window.toMillis() + " ms: " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }

    /** Whether {@code condition} came true within {@code timeout}, for a caller that reports the failure itself. */
    public static boolean within(Duration timeout, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                return false;
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
        return true;
    }
}
