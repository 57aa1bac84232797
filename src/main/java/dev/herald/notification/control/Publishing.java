package dev.herald.notification.control;

import dev.herald.notification.entity.Stream;
import dev.herald.security.entity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The first hop of a publish after the REST boundary: has the broker take the caller's permits, store and
 * publish in one step, and reports it. Every route that publishes goes through here.
 */
@ApplicationScoped
public class Publishing {

    @Inject
    Broker broker;

    @Inject
    Telemetry telemetry;

    @Inject
    @ConfigProperty(name = "herald.publish.rate-limit")
    int rateLimit;

    @Inject
    @ConfigProperty(name = "herald.publish.burst")
    int burst;

    /** Unset: notifications expire only when their publisher says so. */
    @Inject
    @ConfigProperty(name = "herald.history.max-age")
    Optional<Duration> maxAge;

    public Broker.Published publish(Caller caller, Broker.Publication publication) {
        return publish(caller, List.of(publication)).get(0);
    }

    /**
     * Publishes all of them as one step, taking one permit for each that is not a replay of its idempotency key; throws
     * {@link RateLimitedException} when the caller has not that many left, {@link IdempotencyConflictException} when a
     * key was used for another notification, and {@link BrokerUnavailableException} when the broker failed. Replays
     * are not reported to telemetry.
     */
    public List<Broker.Published> publish(Caller caller, List<Broker.Publication> publications) {
        if (publications.isEmpty()) {
            return List.of();
        }
        long start = System.nanoTime();
        Broker.RateLimit limit = rateLimit > 0 ? new Broker.RateLimit(caller.userId(), rateLimit, burst) : null;
        List<Broker.Published> sent = broker.publish(limit, withMaxAge(publications));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        Map<Stream.Kind, Long> byKind = new EnumMap<>(Stream.Kind.class);
        for (Broker.Published published : sent) {
            if (!published.replayed()) {
                byKind.merge(published.notification().stream().kind(), 1L, Long::sum);
            }
        }
        if (!byKind.isEmpty()) { // a call of replays only published nothing: neither counted nor timed
            telemetry.published(byKind, took);
        }
        return sent;
    }

    /** With {@code herald.history.max-age} set, no publication lives longer: its expiry is at most that from now. */
    List<Broker.Publication> withMaxAge(List<Broker.Publication> publications) {
        if (maxAge == null || maxAge.isEmpty()) {
            return publications;
        }
        long latest = System.currentTimeMillis() + maxAge.get().toMillis();
        return publications.stream()
                .map(p -> p.expires() && p.expiresAt() <= latest ? p : p.expiringAt(latest))
                .toList();
    }

    /** The most a batch may hold: it takes one permit per item at once, so one larger than the burst could never pass. */
    public int maxBatchItems(int configured) {
        return Math.min(configured, burst);
    }

    /** The setting that limits a batch to {@link #maxBatchItems}, named in the error. */
    public String maxBatchItemsSetting(int configured) {
        return burst < configured ? "herald.publish.burst" : "herald.batch.max-items";
    }
}
