package dev.herald.notification.control;

import dev.herald.testing.Await;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** Telemetry that counts the canary's misses, as {@code herald_redis_probe_misses_total} does. */
final class ProbeMisses extends Telemetry.None {

    /** Probes every 100 ms: a broken probe path shows within a few hundred milliseconds. */
    static final Canary.Settings FAST = new Canary.Settings(Duration.ofMillis(100), 3);

    private final AtomicInteger count = new AtomicInteger();

    @Override
    public void probeMissed() {
        count.incrementAndGet();
    }

    int count() {
        return count.get();
    }

    /**
     * Watches {@code broker} for {@code probes.misses() + 2} intervals: ready throughout, and not one probe missed
     * (each tick counts the previous probe as missed unless it came back).
     */
    void assertProbesComeBack(Broker broker, Canary.Settings probes) {
        Await.holdsFor("ready, and no probe missed", probes.interval().multipliedBy(probes.misses() + 2L),
                () -> broker.isReady() && count() == 0);
    }
}
