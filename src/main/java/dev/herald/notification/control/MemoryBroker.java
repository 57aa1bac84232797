package dev.herald.notification.control;

import dev.herald.notification.entity.IdempotencyKey;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/** The zero-setup engine: one node, history in this JVM (gone on restart), ids assigned as Redis does. */
final class MemoryBroker implements Broker {

    private final int historySize;
    private final Duration idempotencyTtl;
    private final LongSupplier nanoClock;
    private final ConcurrentMap<Stream, Log> logs = new ConcurrentHashMap<>();
    /** Streams that hold an entry with an expiry: what {@link #expireDue} looks at, rather than every stream. */
    private final Set<Stream> expiring = ConcurrentHashMap.newKeySet();
    private final MemoryInbox inbox;
    private final ConcurrentMap<String, TokenBucket> buckets = new ConcurrentHashMap<>();
    /** Recorded idempotency keys, oldest first: with one ttl for all, insertion order is expiry order. Its own lock. */
    private final Map<Scope, Recorded> recorded = new LinkedHashMap<>();
    private volatile Listener listener;

    MemoryBroker(int historySize) {
        this(historySize, DEFAULT_IDEMPOTENCY_TTL, System::nanoTime);
    }

    /** @param nanoClock tells the idempotency keys' age: {@code System::nanoTime}, or a test's clock */
    MemoryBroker(int historySize, Duration idempotencyTtl, LongSupplier nanoClock) {
        this.historySize = historySize;
        this.idempotencyTtl = idempotencyTtl;
        this.nanoClock = nanoClock;
        this.inbox = new MemoryInbox(this, historySize);
    }

    @Override
    public Inbox inbox() {
        return inbox;
    }

    private record Scope(Stream stream, IdempotencyKey key) {
    }

    private record Recorded(String fingerprint, NotificationId id, long expiresAtNanos) {
    }

    /** One stream: its history and, for a user's stream, its inbox; the object is the stream's lock. */
    static final class Log {
        final ArrayDeque<Notification> entries = new ArrayDeque<>();
        /** A user's stream's inbox state; null for group and broadcast streams, which have none. */
        final InboxState inbox;
        /** Ids a user deleted or that expired, newer than the newest trimmed one: resume points that leave no gap. */
        final NavigableSet<NotificationId> deleted = new TreeSet<>();
        NotificationId lastGenerated = NotificationId.ZERO;
        /** The newest id trimmed from history (never one a user deleted). */
        NotificationId maxDeleted = NotificationId.ZERO;

        Log(Stream stream) {
            inbox = stream.isUser() ? new InboxState() : null;
        }

        /**
         * Remembers a deleted id for gap detection, keeping at most {@code bound} (the history size): a stream whose
         * user deletes everything never trims, so nothing else would drop them. Resuming from a forgotten one reads as
         * a gap: a needless reload, never a silent loss.
         */
        void deleted(NotificationId id, int bound) {
            deleted.add(id);
            if (deleted.size() > bound) {
                deleted.pollFirst();
            }
        }
    }

    /** The stream's log, created on first use. */
    Log log(Stream stream) {
        return logs.computeIfAbsent(stream, Log::new);
    }

    /** The stream's log, or null when nothing was ever published to it (reads create nothing). */
    Log existingLog(Stream stream) {
        return logs.get(stream);
    }

    /** The current listener, or null before start and after close. */
    Listener listener() {
        return listener;
    }

    @Override
    public List<Published> publish(RateLimit limit, List<Publication> publications) {
        if (publications.stream().allMatch(publication -> publication.idempotencyKey() == null)) {
            takePermits(limit, publications.size());
            return publications.stream().map(publication -> new Published(append(publication), false)).toList();
        }
        // checking, publishing and recording the keys is one step, as in the Redis engine's script
        synchronized (recorded) {
            long now = nanoClock.getAsLong();
            forgetExpired(now);
            int count = publications.size();
            Published[] answers = new Published[count];
            String[] fingerprints = new String[count];
            int[] sameAs = new int[count];
            Arrays.fill(sameAs, -1);
            Map<Scope, Integer> firstInCall = new HashMap<>();
            int fresh = count;
            for (int i = 0; i < count; i++) {
                Publication publication = publications.get(i);
                if (publication.idempotencyKey() == null) {
                    continue;
                }
                Scope scope = new Scope(publication.stream(), publication.idempotencyKey());
                fingerprints[i] = publication.fingerprint();
                Recorded seen = recorded.get(scope);
                Integer earlier = firstInCall.putIfAbsent(scope, i);
                String expected = seen != null ? seen.fingerprint() : earlier != null ? fingerprints[earlier] : null;
                if (expected != null && !expected.equals(fingerprints[i])) {
                    throw new IdempotencyConflictException(i, idempotencyTtl);
                }
                if (seen != null) {
                    answers[i] = new Published(Notification.of(publication.stream(), seen.id(), publication.payload().json()), true);
                    fresh--;
                } else if (earlier != null) {
                    sameAs[i] = earlier;
                    fresh--;
                }
            }
            takePermits(limit, fresh);
            for (int i = 0; i < count; i++) {
                Publication publication = publications.get(i);
                if (sameAs[i] >= 0) {
                    answers[i] = new Published(answers[sameAs[i]].notification(), true);
                } else if (answers[i] == null) {
                    Notification notification = append(publication);
                    answers[i] = new Published(notification, false);
                    if (fingerprints[i] != null) {
                        recorded.put(new Scope(publication.stream(), publication.idempotencyKey()),
                                new Recorded(fingerprints[i], notification.id(), now + idempotencyTtl.toNanos()));
                    }
                }
            }
            return List.of(answers);
        }
    }

    private void takePermits(RateLimit limit, int permits) {
        if (limit != null && permits > 0) {
            Duration wait = buckets.computeIfAbsent(limit.caller(), c -> new TokenBucket(limit.burst()))
                    .take(permits, limit.perSecond(), limit.burst(), System.nanoTime());
            if (!wait.isZero()) {
                throw new RateLimitedException(limit, wait);
            }
        }
    }

    private void forgetExpired(long nowNanos) {
        Iterator<Recorded> oldestFirst = recorded.values().iterator();
        while (oldestFirst.hasNext() && oldestFirst.next().expiresAtNanos() - nowNanos <= 0) {
            oldestFirst.remove();
        }
    }

    private Notification append(Publication publication) {
        Stream stream = publication.stream();
        Log log = log(stream);
        // Delivering under the lock keeps live order equal to id order, as Redis pub/sub does.
        synchronized (log) {
            log.lastGenerated = log.lastGenerated.next(System.currentTimeMillis());
            Notification notification = Notification.of(stream, log.lastGenerated, publication.payload().json())
                    .expiringAt(publication.expiresAt());
            log.entries.addLast(notification);
            if (publication.expires()) {
                expiring.add(stream); // under the lock, as expireDue's removal: never lost between the two
            }
            if (log.inbox != null) {
                log.inbox.added();
            }
            while (log.entries.size() > historySize) {
                log.maxDeleted = log.entries.removeFirst().id();
                log.deleted.headSet(log.maxDeleted, true).clear();
                if (log.inbox != null) {
                    log.inbox.removed(log.maxDeleted);
                }
            }
            Listener current = listener;
            if (current != null) {
                current.deliver(notification);
                if (log.inbox != null) {
                    current.inboxChanged(new Inbox.Event(stream.userId(), log.inbox.counts(), Inbox.Change.PUBLISHED, null,
                            List.of(notification.id()), null));
                }
            }
            return notification;
        }
    }

    @Override
    public void expireDue(long nowMillis) {
        for (Stream stream : expiring) {
            Log log = logs.get(stream);
            synchronized (log) {
                List<NotificationId> expired = new ArrayList<>();
                boolean more = false;
                for (Iterator<Notification> entries = log.entries.iterator(); entries.hasNext(); ) {
                    Notification entry = entries.next();
                    if (entry.isExpiredAt(nowMillis)) {
                        entries.remove();
                        expired.add(entry.id());
                        log.deleted(entry.id(), historySize);
                        if (log.inbox != null) {
                            log.inbox.removed(entry.id());
                        }
                    } else {
                        more |= entry.expiresAt() != Notification.NEVER;
                    }
                }
                if (!more) {
                    expiring.remove(stream);
                }
                Listener current = listener;
                if (current != null && log.inbox != null && !expired.isEmpty()) {
                    current.inboxChanged(new Inbox.Event(stream.userId(), log.inbox.counts(), Inbox.Change.EXPIRED, null, expired, null));
                }
            }
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
            boolean held = after != null && (log.deleted.contains(after) || log.entries.stream().anyMatch(n -> n.id().equals(after)));
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
