package dev.herald.notification.control;

import dev.herald.notification.entity.CloseCode;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * The node's open sessions' outboxes, indexed by stream, and the one place live notifications are dispatched
 * from. Opening a session and recovering after the broker resubscribes both go through the same
 * hold → replay → release merge of {@link Outbox}, so neither can lose or repeat a notification.
 */
@ApplicationScoped
public class Outboxes implements Broker.Listener {

    private static final System.Logger LOG = System.getLogger(Outboxes.class.getName());

    private final ConcurrentMap<Stream, Set<Outbox>> byStream = new ConcurrentHashMap<>();
    /** The same outboxes, soonest token expiry first: the sweep looks only at the expired ones. */
    private final ConcurrentSkipListSet<Outbox> byExpiry = new ConcurrentSkipListSet<>(
            Comparator.comparing(Outbox::expiresAt).thenComparingLong(outbox -> outbox.serial));
    private final AtomicInteger openCount = new AtomicInteger();
    private final AtomicBoolean subscribedBefore = new AtomicBoolean();
    private volatile boolean closing;

    private Broker broker;
    private Telemetry telemetry;
    private Executor background;
    private Executor senders;
    GracefulShutdown shutdown;

    protected Outboxes() {
        // for CDI
    }

    @Inject
    Outboxes(Broker broker, Telemetry telemetry, HeraldThreads threads, GracefulShutdown shutdown) {
        this.broker = broker;
        this.telemetry = telemetry;
        this.background = threads.background();
        this.senders = threads.senders();
        this.shutdown = shutdown;
    }

    /** For tests: no container; catch-ups run on {@code background}, frames are sent on the delivering thread. */
    Outboxes(Broker broker, Executor background) {
        this.broker = broker;
        this.telemetry = new Telemetry.None();
        this.background = background;
        this.senders = Runnable::run;
        this.shutdown = new GracefulShutdown(java.time.Duration.ZERO);
    }

    /**
     * Registers a session's outbox and catches it up: from {@code since} (a client's resume point; its
     * absence means "from now on"). Throws {@link HistoryGapException} when history does not reach back to
     * {@code since}, {@link BrokerUnavailableException} when the broker cannot be read; nothing is
     * registered then.
     */
    public Outbox open(Stream stream, NotificationId since, Outbox.Peer peer, Outbox.Limits limits, Instant expiresAt) {
        NotificationId from = since != null ? since : broker.replay(stream, null).lastGenerated();
        Outbox outbox = new Outbox(stream, from, expiresAt, peer, limits, senders);
        register(outbox);
        try {
            Broker.Replay replay = broker.replay(stream, from);
            if (since != null && !replay.canResume(since)) {
                throw new HistoryGapException(since);
            }
            outbox.release(replay.entries());
            return outbox;
        } catch (RuntimeException e) {
            unregister(outbox);
            throw e;
        }
    }

    public void unregister(Outbox outbox) {
        byStream.computeIfPresent(outbox.stream(), (stream, outboxes) -> {
            if (outboxes.remove(outbox)) {
                openCount.decrementAndGet();
                byExpiry.remove(outbox);
            }
            if (outboxes.isEmpty()) {
                broker.unfollow(stream);
                return null;
            }
            return outboxes;
        });
    }

    private void register(Outbox outbox) {
        // compute(), not computeIfAbsent() + add(): an emptied set is removed atomically, never added to.
        byStream.compute(outbox.stream(), (stream, outboxes) -> {
            Set<Outbox> set = outboxes;
            if (set == null) {
                set = ConcurrentHashMap.newKeySet();
                broker.follow(stream);
            }
            if (set.add(outbox)) {
                openCount.incrementAndGet();
                byExpiry.add(outbox);
            }
            return set;
        });
    }

    public int openSessions() {
        return openCount.get();
    }

    public int openSessions(Stream stream) {
        Set<Outbox> outboxes = byStream.get(stream);
        return outboxes == null ? 0 : outboxes.size();
    }

    /** Every open outbox, at this moment. */
    List<Outbox> all() {
        return byStream.values().stream().flatMap(Set::stream).toList();
    }

    /** Removes and returns the outboxes whose token expired before {@code now}: only those are looked at. */
    List<Outbox> takeExpired(Instant now) {
        List<Outbox> expired = new ArrayList<>();
        for (Iterator<Outbox> soonest = byExpiry.iterator(); soonest.hasNext(); ) {
            Outbox outbox = soonest.next();
            if (!outbox.expiresAt().isBefore(now)) {
                break;
            }
            soonest.remove();
            expired.add(outbox);
        }
        return expired;
    }

    @Override
    public void deliver(Notification notification) {
        Set<Outbox> outboxes = byStream.get(notification.stream());
        if (outboxes != null) {
            for (Outbox outbox : outboxes) {
                outbox.deliver(notification);
            }
        }
    }

    /**
     * Live delivery was down: hold every session now (on the subscriber thread, before the new
     * subscription delivers anything), then replay what each missed, off the subscriber thread.
     */
    @Override
    public void subscribed() {
        if (subscribedBefore.getAndSet(true)) {
            telemetry.resubscribed();
        }
        holdAndCatchUp(all());
    }

    /** The same for one stream's sessions: its sharded subscription (re)started. */
    @Override
    public void subscribed(Stream stream) {
        Set<Outbox> outboxes = byStream.get(stream);
        if (outboxes != null) {
            holdAndCatchUp(List.copyOf(outboxes));
        }
    }

    private void holdAndCatchUp(List<Outbox> outboxes) {
        if (outboxes.isEmpty()) {
            return;
        }
        outboxes.forEach(Outbox::hold);
        try {
            background.execute(() -> catchUp(outboxes));
        } catch (RejectedExecutionException e) {
            outboxes.forEach(outbox -> outbox.close(CloseCode.GOING_AWAY, "server shutting down"));
        }
    }

    private void catchUp(List<Outbox> held) {
        Map<Stream, List<Outbox>> byStreamHeld = held.stream().collect(Collectors.groupingBy(Outbox::stream));
        byStreamHeld.forEach((stream, outboxes) -> {
            NotificationId from = outboxes.stream().map(Outbox::lastId).min(Comparator.naturalOrder()).orElseThrow();
            try {
                Broker.Replay replay = broker.replay(stream, from);
                for (Outbox outbox : outboxes) {
                    if (replay.lostAfter(outbox.lastId())) {
                        outbox.close(CloseCode.HISTORY_GAP, "history no longer reaches back to " + outbox.lastId());
                    } else {
                        outbox.release(replay.entries());
                    }
                }
            } catch (BrokerUnavailableException e) {
                LOG.log(Level.WARNING, "Could not catch up {0} session(s) after resubscribing: {1}", outboxes.size(), e.getMessage());
                outboxes.forEach(outbox -> outbox.close(CloseCode.TRY_AGAIN_LATER, "broker unavailable; reconnect with since"));
            }
        });
    }

    /** True once the node is shutting down: new sessions are turned away. */
    public boolean isClosing() {
        return closing;
    }

    /**
     * Refuses new sessions, then closes the open ones as {@link GracefulShutdown} spreads them. Here, on the bean
     * that holds the outboxes, so the closes cannot find an emptied registry whatever order the container
     * destroys beans in.
     */
    @PreDestroy
    void closeAll() {
        closing = true;
        shutdown.close(all());
        byStream.clear();
        byExpiry.clear();
        openCount.set(0);
    }
}
