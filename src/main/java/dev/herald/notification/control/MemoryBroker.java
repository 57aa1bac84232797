package dev.herald.notification.control;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** The zero-setup engine: one node, history in this JVM (gone on restart), ids assigned as Redis does. */
final class MemoryBroker implements Broker {

    private final int historySize;
    private final ConcurrentMap<Stream, Log> logs = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, TokenBucket> buckets = new ConcurrentHashMap<>();
    private volatile Listener listener;

    MemoryBroker(int historySize) {
        this.historySize = historySize;
    }

    private static final class Log {
        final ArrayDeque<Notification> entries = new ArrayDeque<>();
        NotificationId lastGenerated = NotificationId.ZERO;
        NotificationId maxDeleted = NotificationId.ZERO;
    }

    @Override
    public List<Notification> publish(RateLimit limit, List<Publication> publications) {
        if (limit != null) {
            Duration wait = buckets.computeIfAbsent(limit.caller(), c -> new TokenBucket(limit.burst()))
                    .take(publications.size(), limit.perSecond(), limit.burst(), System.nanoTime());
            if (!wait.isZero()) {
                throw new RateLimitedException(limit, wait);
            }
        }
        List<Notification> published = new ArrayList<>(publications.size());
        for (Publication publication : publications) {
            published.add(publish(publication.stream(), publication.payload()));
        }
        return published;
    }

    @Override
    public Notification publish(Stream stream, Payload payload) {
        Log log = logs.computeIfAbsent(stream, s -> new Log());
        // Delivering under the lock keeps live order equal to id order, as Redis pub/sub does.
        synchronized (log) {
            log.lastGenerated = log.lastGenerated.next(System.currentTimeMillis());
            Notification notification = Notification.of(stream, log.lastGenerated, payload.json());
            log.entries.addLast(notification);
            while (log.entries.size() > historySize) {
                log.maxDeleted = log.entries.removeFirst().id();
            }
            Listener current = listener;
            if (current != null) {
                current.deliver(notification);
            }
            return notification;
        }
    }

    @Override
    public List<Notification> history(Stream stream, NotificationId after, int limit) {
        Log log = logs.get(stream);
        if (log == null) {
            return List.of();
        }
        synchronized (log) {
            List<Notification> all = new ArrayList<>(log.entries);
            if (after == null) {
                return List.copyOf(all.subList(Math.max(0, all.size() - limit), all.size()));
            }
            return all.stream().filter(n -> n.id().isAfter(after)).limit(limit).toList();
        }
    }

    @Override
    public Replay replay(Stream stream, NotificationId after) {
        Log log = logs.get(stream);
        if (log == null) {
            return new Replay(NotificationId.ZERO, NotificationId.ZERO, List.of(), null);
        }
        synchronized (log) {
            List<Notification> entries = after == null ? List.of()
                    : log.entries.stream().filter(n -> n.id().isAfter(after)).toList();
            boolean held = after != null && log.entries.stream().anyMatch(n -> n.id().equals(after));
            return new Replay(log.lastGenerated, log.maxDeleted, entries, held ? after : null);
        }
    }

    /** Tokens refill continuously; a caller may spend up to {@code burst} at once. */
    static final class TokenBucket {
        private double tokens;
        private long lastNanos = System.nanoTime();

        TokenBucket(int burst) {
            this.tokens = burst;
        }

        synchronized Duration take(int permits, int perSecond, int burst, long nowNanos) {
            tokens = Math.min(burst, tokens + (nowNanos - lastNanos) / 1e9 * perSecond);
            lastNanos = nowNanos;
            if (tokens >= permits) {
                tokens -= permits;
                return Duration.ZERO;
            }
            return Duration.ofNanos((long) Math.ceil((permits - tokens) / perSecond * 1e9));
        }
    }

    @Override
    public void start(Listener listener) {
        this.listener = listener;
        listener.subscribed();
    }

    @Override
    public boolean isReady() {
        return listener != null;
    }

    @Override
    public void close() {
        listener = null;
    }
}
