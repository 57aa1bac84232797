package dev.herald.notification.control;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The node's open sessions indexed by stream, and the one place live notifications are dispatched from.
 * Opening a session and recovering after the broker resubscribes both go through the same
 * hold → replay → release merge of {@link Outbox}, so neither can lose or repeat a notification.
 */
@ApplicationScoped
public class SessionRegistry implements Broker.Listener {

    private static final System.Logger LOG = System.getLogger(SessionRegistry.class.getName());

    private final ConcurrentMap<Stream, Set<Outbox>> byStream = new ConcurrentHashMap<>();
    /** The same outboxes, soonest token expiry first: the sweep looks only at the expired ones. */
    private final ConcurrentSkipListSet<Outbox> byExpiry = new ConcurrentSkipListSet<>(
            Comparator.comparing(Outbox::expiresAt).thenComparingLong(outbox -> outbox.serial));
    private long lastIdleScanNanos = System.nanoTime();
    private final AtomicInteger openCount = new AtomicInteger();
    private static final int CLOSE_STEPS = 20;

    private final AtomicBoolean subscribedBefore = new AtomicBoolean();
    private volatile boolean closing;
    private Broker broker;
    private Telemetry telemetry;
    private Executor executor;

    @Resource(lookup = BrokerProducer.EXECUTOR)
    ManagedExecutorService managedExecutor;

    @Resource
    ManagedScheduledExecutorService scheduler;

    @Resource
    ManagedThreadFactory threadFactory;

    /**
     * Where sessions' frames are sent from, so the subscriber thread only reads Redis and queues: it must
     * keep up with Redis, which drops a subscriber that falls 32 MB behind. A plain pool on managed threads,
     * not the managed executor: that captures the caller's context on every task, a cost per frame here.
     */
    private Executor sender = Runnable::run;
    private ExecutorService senderPool;

    private ScheduledFuture<?> expirySweep;

    @Inject
    @ConfigProperty(name = "herald.shutdown.close-window")
    Duration closeWindow = Duration.ZERO;

    /**
     * Checked here by the sweep rather than with Session.setMaxIdleTimeout: Tyrus reschedules its idle task on
     * every frame, and with a timeout set each replaced task stays queued in Payara's scheduled executor until
     * it would have run (cancelled tasks are not removed): tens of thousands a second under load. The sweep scans
     * every session for it only once per 1/60 of the timeout (a minute for the default hour): a scan costs
     * about 2 µs a session, which once a second was most of an idle node's CPU.
     */
    @Inject
    @ConfigProperty(name = "herald.websocket.idle-timeout")
    Duration idleTimeout = Duration.ZERO;

    protected SessionRegistry() {
        // for CDI
    }

    @Inject
    SessionRegistry(Broker broker, Telemetry telemetry) {
        this.broker = broker;
        this.telemetry = telemetry;
    }

    /** For tests: a registry without a container, sending on the delivering thread. */
    SessionRegistry(Broker broker, Executor executor) {
        this(broker, new Telemetry.None());
        this.executor = executor;
    }

    void start(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        executor = managedExecutor;
        senderPool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), threadFactory);
        sender = senderPool;
        broker.start(this);
        expirySweep = scheduler.scheduleAtFixedRate(() -> sweep(Instant.now(), System.nanoTime()), 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Closes sessions whose token has expired (4401): only those, found at the head of {@link #byExpiry}; and
     * those silent both ways longer than the idle timeout (1001), scanned for at most 60 times per timeout.
     */
    void sweep(Instant now, long nowNanos) {
        for (Iterator<Outbox> soonest = byExpiry.iterator(); soonest.hasNext(); ) {
            Outbox outbox = soonest.next();
            if (!outbox.expiresAt().isBefore(now)) {
                break;
            }
            soonest.remove();
            outbox.close(Outbox.TOKEN_EXPIRED, "token expired; reconnect with a fresh token and since");
        }
        if (idleTimeout.isZero() || idleTimeout.isNegative() || nowNanos - lastIdleScanNanos < idleTimeout.toNanos() / 60) {
            return;
        }
        lastIdleScanNanos = nowNanos;
        byStream.values().stream().flatMap(Set::stream).forEach(outbox -> {
            if (outbox.idleLongerThan(idleTimeout, nowNanos)) {
                outbox.close(Outbox.GOING_AWAY, "idle for " + idleTimeout.toSeconds() + " s; reconnect with since");
            }
        });
    }

    /**
     * Registers a session's outbox and catches it up: from {@code since} (a client's resume point; its
     * absence means "from now on"). Throws {@link HistoryGapException} when history does not reach back to
     * {@code since}, {@link BrokerUnavailableException} when the broker cannot be read; nothing is
     * registered then.
     */
    public Outbox open(Stream stream, NotificationId since, Outbox.Peer peer, Outbox.Limits limits, Instant expiresAt) {
        NotificationId from = since != null ? since : broker.replay(stream, null).lastGenerated();
        Outbox outbox = new Outbox(stream, from, peer, limits, sender);
        outbox.expireAt(expiresAt);
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
            return outboxes.isEmpty() ? null : outboxes;
        });
    }

    private void register(Outbox outbox) {
        // compute(), not computeIfAbsent() + add(): an emptied set is removed atomically, never added to.
        byStream.compute(outbox.stream(), (stream, outboxes) -> {
            Set<Outbox> set = outboxes != null ? outboxes : ConcurrentHashMap.newKeySet();
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
        List<Outbox> all = byStream.values().stream().flatMap(Set::stream).toList();
        if (all.isEmpty()) {
            return;
        }
        all.forEach(Outbox::hold);
        try {
            executor.execute(() -> catchUp(all));
        } catch (RejectedExecutionException e) {
            all.forEach(outbox -> outbox.close(Outbox.GOING_AWAY, "server shutting down"));
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
                        outbox.close(Outbox.HISTORY_GAP, "history no longer reaches back to " + outbox.lastId());
                    } else {
                        outbox.release(replay.entries());
                    }
                }
            } catch (BrokerUnavailableException e) {
                LOG.log(Level.WARNING, "Could not catch up {0} session(s) after resubscribing: {1}", outboxes.size(), e.getMessage());
                outboxes.forEach(outbox -> outbox.close(Outbox.TRY_AGAIN_LATER, "broker unavailable; reconnect with since"));
            }
        });
    }

    /** True once the node is shutting down: new sessions are turned away with 1001. */
    public boolean isClosing() {
        return closing;
    }

    /**
     * Graceful shutdown: refuse new sessions, then close the open ones with 1001 ("reconnect with since")
     * spread over {@code herald.shutdown.close-window}, so clients do not all reconnect at the same instant.
     * Live delivery continues to the sessions not yet closed.
     */
    @PreDestroy
    void closeAll() {
        closing = true;
        if (expirySweep != null) {
            expirySweep.cancel(false);
        }
        List<Outbox> open = byStream.values().stream().flatMap(Set::stream).toList();
        LOG.log(Level.INFO, "Shutting down: closing {0} session(s) over {1} ms", open.size(), closeWindow.toMillis());
        int steps = (int) Math.min(open.size(), CLOSE_STEPS);
        for (int step = 0; step < steps; step++) {
            if (step > 0) {
                LockSupport.parkNanos(closeWindow.toNanos() / steps);
            }
            for (Outbox outbox : open.subList(open.size() * step / steps, open.size() * (step + 1) / steps)) {
                outbox.close(Outbox.GOING_AWAY, "server shutting down; reconnect with since");
            }
        }
        byStream.clear();
        byExpiry.clear();
        openCount.set(0);
        if (senderPool != null) {
            senderPool.shutdown();
        }
    }
}
