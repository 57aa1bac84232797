package dev.herald.notification.control;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Proves end to end that this node's subscriber still hears what its publishes reach: a subscriber can stay
 * connected, answering pings, to a Redis that no longer receives them (a demoted primary, {@code REPLICAOF NO ONE},
 * a proxy that re-routes). Every interval a probe with a new token goes out through the publishing path on the
 * node's own channel; one not back before the next tick is a miss. After {@code misses} in a row the canary trips:
 * the node is unready and the subscriber reconnects (again every {@code misses} misses while it stays tripped);
 * the next probe to come back resets it.
 */
final class Canary {

    private static final System.Logger LOG = System.getLogger(Canary.class.getName());

    /**
     * @param interval how often a probe is sent, and how long each has to come back
     * @param misses   probes missed in a row that trip the canary
     */
    record Settings(Duration interval, int misses) {

        static final Settings DEFAULT = new Settings(Duration.ofSeconds(1), 3);

        Settings {
            if (interval == null || interval.compareTo(Duration.ofMillis(100)) < 0) {
                throw new IllegalStateException("herald.redis.probe-interval must be at least 100 ms, not " + interval);
            }
            if (misses < 1) {
                throw new IllegalStateException("herald.redis.probe-misses must be at least 1, not " + misses);
            }
        }
    }

    private final Settings settings;
    private final Consumer<String> send;
    private final Runnable reconnect;
    private final Telemetry telemetry;
    private final LongSupplier nanoTime;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private long lastToken;
    /** The token of the probe awaited, 0 when none is. */
    private long outstanding;
    private long sentAt;
    private int missesInARow;
    private volatile boolean tripped;

    /**
     * @param send      publishes a probe's message on the node's probe channel, through the publishing path
     * @param reconnect drops the subscriber's connection, so it subscribes again on fresh topology
     * @param nanoTime  the clock, {@link System#nanoTime()} but in tests
     */
    Canary(Settings settings, Consumer<String> send, Runnable reconnect, Telemetry telemetry, LongSupplier nanoTime) {
        this.settings = settings;
        this.send = send;
        this.reconnect = reconnect;
        this.telemetry = telemetry;
        this.nanoTime = nanoTime;
    }

    /** False from the moment the canary trips until a probe comes back. */
    boolean isHealthy() {
        return !tripped;
    }

    /**
     * Counts the awaited probe as missed if it has had its interval, then sends the next one; or, when the misses
     * call for a reconnect, reconnects and sends none, giving the new subscription an interval to come up. Nothing
     * happens while the awaited probe still has time left, so an early tick changes nothing.
     */
    void tick() {
        long now = nanoTime.getAsLong();
        String message = null;
        boolean missed;
        int inARow;
        boolean trips;
        boolean reconnects;
        synchronized (this) {
            if (outstanding != 0 && now - sentAt < settings.interval().toNanos()) {
                return;
            }
            missed = outstanding != 0;
            if (missed) {
                missesInARow++;
            }
            inARow = missesInARow;
            reconnects = missed && inARow % settings.misses() == 0;
            trips = reconnects && !tripped;
            tripped |= trips;
            if (reconnects) {
                outstanding = 0; // the subscriber gets an interval to come back before the next probe
            } else {
                outstanding = ++lastToken;
                sentAt = now;
                message = Long.toString(outstanding);
            }
        }
        if (missed) {
            telemetry.probeMissed();
        }
        if (trips) {
            LOG.log(Level.WARNING, "Live delivery is broken: {0} probes in a row published to Redis did not reach this "
                    + "node''s subscriber; not ready until one does, reconnecting the subscriber", inARow);
        }
        if (reconnects) {
            LOG.log(Level.DEBUG, "Reconnecting the subscriber after {0} missed probes", inARow);
            reconnect.run();
            return;
        }
        try {
            send.accept(message);
        } catch (RuntimeException e) {
            // not sent is as good as lost: it counts as a miss at the next tick
            LOG.log(Level.DEBUG, "Sending a probe failed: {0}", e.getMessage());
        }
    }

    /**
     * A message on this node's probe channel, on the subscriber's thread. Only the awaited probe counts: an older
     * one, late, says nothing about whether delivery works now.
     */
    void arrived(String message) {
        long millis;
        boolean recovered;
        synchronized (this) {
            if (outstanding == 0 || !Long.toString(outstanding).equals(message)) {
                return;
            }
            millis = TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong() - sentAt);
            outstanding = 0;
            missesInARow = 0;
            recovered = tripped;
            tripped = false;
        }
        if (recovered) {
            LOG.log(Level.INFO, "Live delivery works again: a probe came back in {0} ms; ready", millis);
            // What was published since the last reconnect's catch-up never reached this node: one more reconnect
            // catches every session up to now. (Found by FailoverChaosIT: without it, the notifications published
            // between that catch-up and the Redis link coming back were lost.)
            reconnect.run();
        }
    }

    /** Ticks every interval until {@link #close()}: runs for the life of the broker. */
    void runUntilClosed() {
        try {
            while (!stopped.await(settings.interval().toMillis(), TimeUnit.MILLISECONDS)) {
                try {
                    tick();
                } catch (RuntimeException e) {
                    LOG.log(Level.ERROR, "The live-delivery canary failed to tick", e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void close() {
        stopped.countDown();
    }
}
