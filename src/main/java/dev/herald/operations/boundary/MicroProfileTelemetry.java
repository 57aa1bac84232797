package dev.herald.operations.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.control.Outboxes;
import dev.herald.notification.control.Telemetry;
import dev.herald.notification.control.Telemetry.InboxOperation;
import dev.herald.notification.entity.CloseCode;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.Stream;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.Tag;
import org.eclipse.microprofile.metrics.Timer;
import org.eclipse.microprofile.metrics.annotation.RegistryScope;

/**
 * Herald's metrics in MicroProfile Metrics (application scope, Prometheus text at the server's
 * {@code /metrics}). The only class that uses MP Metrics types: where the API is missing (WildFly),
 * CDI cannot load it and {@link Telemetry.None} is used instead. Names and tags are fixed and never
 * carry a user id; src/site/markdown/operations.md documents each.
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class MicroProfileTelemetry implements Telemetry {

    @Inject
    @RegistryScope(scope = MetricRegistry.APPLICATION_SCOPE)
    MetricRegistry registry;

    /**
     * At most one frame per millisecond goes into the delivery timer: every frame at a low rate, a sample of them
     * when a broadcast reaches thousands of sockets at once. The timer's reservoir update (a lock and a sorted
     * map) was a tenth of a sender thread's time when it took every frame; the delivered counter still counts all.
     */
    private static final long DELIVERY_SAMPLE_NANOS = 1_000_000;

    @Inject
    Outboxes sessions;

    @Inject
    Broker broker;

    private final Map<Stream.Kind, Counter> published = new EnumMap<>(Stream.Kind.class);
    private Counter delivered;
    private Counter resubscribes;
    private Counter probeMisses;
    private Timer publishTime;
    private Timer deliveryTime;
    /** When a frame was last timed ({@link System#nanoTime()}): see {@link #delivered}. */
    private final AtomicLong lastTimedDelivery = new AtomicLong(System.nanoTime() - DELIVERY_SAMPLE_NANOS);
    private final Map<String, Counter> closes = new ConcurrentHashMap<>();
    private final Map<InboxOperation, Counter> inboxOperations = new EnumMap<>(InboxOperation.class);

    /** Created at startup, so every metric is scraped (at zero) before anything happens. */
    void createAtStartup(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        // observing the event is what makes CDI create the bean now
    }

    @PostConstruct
    void register() {
        for (Stream.Kind kind : Stream.Kind.values()) {
            published.put(kind, registry.counter(metadata("herald_notifications_published",
                    "Notifications stored and published, by kind of stream (user, group or broadcast)"), new Tag("kind", kind.label())));
        }
        delivered = registry.counter(metadata("herald_notifications_delivered",
                "Frames written to WebSocket sessions (one per session reached)"));
        resubscribes = registry.counter(metadata("herald_subscriber_reconnects",
                "Times the Redis subscriber subscribed again after losing its connection"));
        probeMisses = registry.counter(metadata("herald_redis_probe_misses",
                "Probes this node published to Redis that did not reach its own subscriber in time"));
        List<String> reasons = new ArrayList<>(List.of(CloseCode.OVER_USER_LIMIT));
        for (CloseCode code : CloseCode.values()) {
            reasons.add(code.reason());
        }
        for (String reason : reasons) {
            closes.computeIfAbsent(reason, r -> registry.counter(metadata("herald_sessions_closed",
                    "WebSocket sessions closed, by reason"), new Tag("reason", r)));
        }
        for (InboxOperation operation : InboxOperation.values()) {
            inboxOperations.put(operation, registry.counter(metadata("herald_inbox_operations",
                    "Inbox operations answered (listings, counts, marks, deletes, retractions), by operation"),
                    new Tag("op", operation.label())));
        }
        publishTime = registry.timer(Metadata.builder().withName("herald_publish")
                .withDescription("From a publish request reaching Herald to the broker storing it")
                .withUnit(MetricUnits.SECONDS).build());
        deliveryTime = registry.timer(Metadata.builder().withName("herald_delivery")
                .withDescription("From the broker storing a notification to its frame reaching a socket")
                .withUnit(MetricUnits.SECONDS).build());
        registry.gauge(metadata("herald_websocket_sessions", "Open WebSocket sessions on this node"),
                sessions, Outboxes::openSessions);
        registry.gauge(metadata("herald_subscriber_up",
                "1 when the broker answers and live delivery is subscribed, else 0"),
                broker, b -> b.isReady() ? 1 : 0);
    }

    private static Metadata metadata(String name, String description) {
        return Metadata.builder().withName(name).withDescription(description).build();
    }

    @Override
    public void published(Map<Stream.Kind, Long> byKind, Duration took) {
        byKind.forEach((kind, count) -> published.get(kind).inc(count));
        publishTime.update(took);
    }

    @Override
    public void delivered(Notification notification) {
        delivered.inc();
        long now = System.nanoTime();
        long last = lastTimedDelivery.get();
        if (now - last >= DELIVERY_SAMPLE_NANOS && lastTimedDelivery.compareAndSet(last, now)) {
            long millis = System.currentTimeMillis() - notification.id().millis();
            deliveryTime.update(Duration.ofMillis(Math.max(0, millis)));
        }
    }

    @Override
    public void sessionClosed(CloseCode code) {
        closes.get(code.reason()).inc();
    }

    @Override
    public void refusedOverUserLimit() {
        closes.get(CloseCode.OVER_USER_LIMIT).inc();
    }

    @Override
    public void resubscribed() {
        resubscribes.inc();
    }

    @Override
    public void probeMissed() {
        probeMisses.inc();
    }

    @Override
    public void inboxOperation(InboxOperation operation) {
        inboxOperations.get(operation).inc();
    }
}
