package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MemoryBrokerTest extends ExpiryContract {

    /** The idempotency keys' clock, stepped by the tests instead of waiting. */
    private final AtomicLong nanos = new AtomicLong();

    @Override
    Broker createBroker(int historySize, Duration idempotencyTtl) {
        return new MemoryBroker(historySize, idempotencyTtl, nanos::get);
    }

    @Override
    void outlive(Duration ttl, Broker broker, Broker.Publication recorded) {
        nanos.addAndGet(ttl.toNanos());
    }

    @Test
    void aKeyIsRememberedUntilExactlyTheTtl() {
        Duration ttl = Duration.ofMinutes(5);
        try (Broker shortLived = createBroker(HISTORY_SIZE, ttl)) {
            Broker.Publication order = keyed(user, "order-1", "{\"n\":1}");
            shortLived.publish(null, List.of(order));
            nanos.addAndGet(ttl.toNanos() - 1);
            assertTrue(shortLived.publish(null, List.of(order)).get(0).replayed(), "one nanosecond before the ttl");
            nanos.addAndGet(1);
            assertFalse(shortLived.publish(null, List.of(order)).get(0).replayed(), "at the ttl");
            nanos.addAndGet(ttl.toNanos() - 1);
            assertTrue(shortLived.publish(null, List.of(order)).get(0).replayed(), "recorded again from the new publish");
        }
    }
}
