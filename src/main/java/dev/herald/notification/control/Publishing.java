package dev.herald.notification.control;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import dev.herald.security.entity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
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

    public Notification publish(Caller caller, Stream stream, Payload payload) {
        return publish(caller, List.of(new Broker.Publication(stream, payload))).get(0);
    }

    /**
     * Publishes all of them as one step, taking one permit each; throws {@link RateLimitedException} when the
     * caller has not that many left, and {@link BrokerUnavailableException} when the broker failed.
     */
    public List<Notification> publish(Caller caller, List<Broker.Publication> publications) {
        if (publications.isEmpty()) {
            return List.of();
        }
        long start = System.nanoTime();
        Broker.RateLimit limit = rateLimit > 0 ? new Broker.RateLimit(caller.userId(), rateLimit, burst) : null;
        List<Notification> sent = broker.publish(limit, publications);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        long broadcasts = sent.stream().filter(notification -> notification.stream().isBroadcast()).count();
        telemetry.published(sent.size() - broadcasts, broadcasts, took);
        return sent;
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
