package dev.herald.notification.control;

import java.util.concurrent.atomic.AtomicInteger;

/** Telemetry that counts the canary's misses, as {@code herald_redis_probe_misses_total} does. */
final class ProbeMisses extends Telemetry.None {

    private final AtomicInteger count = new AtomicInteger();

    @Override
    public void probeMissed() {
        count.incrementAndGet();
    }

    int count() {
        return count.get();
    }
}
