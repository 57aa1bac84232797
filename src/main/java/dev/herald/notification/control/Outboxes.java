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
import java.util.HashMap;
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

/**
 * The node's open sessions' outboxes, indexed by stream, and the one place live notifications are dispatched
 * from. Opening a session and recovering after the broker resubscribes both go through the same
 * hold → replay → release merge of {@link Outbox}, so neither can lose or repeat a notification.
 * <p>
 * Sessions that hear their user's inbox ({@link Outbox#hearsInbox()}) get its counts once they open and after every
 * catch-up (changes told while live delivery was down are lost, and counts are absolute: reading them again
 * repairs that), and the frames of every change ({@link #inboxChanged}), which carries its counts: the subscriber
 * thread never reads the broker.
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

    /** One stream's session, caught up from {@code since} (null: from now on); see {@link #open(List, Map, Outbox.Peer, Outbox.Limits, Instant)}. */
    public Outbox open(Stream stream, NotificationId since, Outbox.Peer peer, Outbox.Limits limits, Instant expiresAt) {
        return open(List.of(stream), since == null ? Map.of() : Map.of(stream, since), peer, limits, expiresAt);
    }

    /** As {@link #open(List, Map, Outbox.Peer, Outbox.Limits, Instant, boolean)}, not hearing the inbox. */
    public Outbox open(List<Stream> streams, Map<Stream, NotificationId> since, Outbox.Peer peer, Outbox.Limits limits,
                       Instant expiresAt) {
        return open(streams, since, peer, limits, expiresAt, false);
    }

    /**
     * Registers a session's outbox on its streams and catches each up: from its entry in {@code since} (a client's
     * resume point; none means "from now on"). Throws {@link HistoryGapException} when a stream's history does not
     * reach back to its resume point, {@link BrokerUnavailableException} when the broker cannot be read; nothing is
     * registered then.
     *
     * @param hearsInbox the session also gets control frames of its user stream's inbox (if it carries one), the
     *                   current counts first
     */
    public Outbox open(List<Stream> streams, Map<Stream, NotificationId> since, Outbox.Peer peer, Outbox.Limits limits,
                       Instant expiresAt, boolean hearsInbox) {
        List<NotificationId> from = new ArrayList<>(streams.size());
        for (Stream stream : streams) {
            NotificationId resumeAt = since.get(stream);
            from.add(resumeAt != null ? resumeAt : broker.replay(stream, null).lastGenerated());
        }
        Stream user = streams.get(0).isUser() ? streams.get(0) : null;
        Outbox outbox = new Outbox(streams, from, expiresAt, peer, limits, senders, hearsInbox && user != null);
        register(outbox);
        try {
            // registered and held: every later change's frames wait behind these counts, and the replay read next
            // holds every notification they count
            List<String> counts = outbox.hearsInbox() ? countsFrame(user) : List.of();
            List<Notification> replayed = new ArrayList<>();
            for (int i = 0; i < streams.size(); i++) {
                Stream stream = streams.get(i);
                Broker.Replay replay = broker.replay(stream, from.get(i));
                if (since.containsKey(stream) && !replay.canResume(from.get(i))) {
                    throw new HistoryGapException(stream, from.get(i), streams.size() > 1);
                }
                replayed.addAll(replay.entries());
            }
            if (streams.size() > 1) {
                // each stream's entries are in id order already; across streams, oldest first reads best
                replayed.sort(Comparator.comparing(Notification::id));
            }
            outbox.release(replayed, counts);
            return outbox;
        } catch (RuntimeException e) {
            unregister(outbox);
            throw e;
        }
    }

    public void unregister(Outbox outbox) {
        boolean[] removed = {false};
        for (Stream each : outbox.streams()) {
            byStream.computeIfPresent(each, (stream, outboxes) -> {
                removed[0] |= outboxes.remove(outbox);
                if (outboxes.isEmpty()) {
                    broker.unfollow(stream);
                    return null;
                }
                return outboxes;
            });
        }
        if (removed[0]) {
            openCount.decrementAndGet();
            byExpiry.remove(outbox);
        }
    }

    private void register(Outbox outbox) {
        openCount.incrementAndGet();
        byExpiry.add(outbox);
        for (Stream each : outbox.streams()) {
            // compute(), not computeIfAbsent() + add(): an emptied set is removed atomically, never added to.
            byStream.compute(each, (stream, outboxes) -> {
                Set<Outbox> set = outboxes;
                if (set == null) {
                    set = ConcurrentHashMap.newKeySet();
                    broker.follow(stream);
                }
                set.add(outbox);
                return set;
            });
        }
    }

    public int openSessions() {
        return openCount.get();
    }

    public int openSessions(Stream stream) {
        Set<Outbox> outboxes = byStream.get(stream);
        return outboxes == null ? 0 : outboxes.size();
    }

    /** Every open outbox, at this moment, each once. */
    List<Outbox> all() {
        return byStream.values().stream().flatMap(Set::stream).distinct().toList();
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

    private List<String> countsFrame(Stream user) {
        return List.of(InboxFrames.counts(broker.inbox().counts(user.userId())));
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

    /** Runs on the subscriber's thread, like {@link #deliver}: builds the frames only if a session hears them. */
    @Override
    public void inboxChanged(Inbox.Event event) {
        Set<Outbox> outboxes = byStream.get(Stream.user(event.userId()));
        if (outboxes == null) {
            return;
        }
        List<String> frames = null;
        for (Outbox outbox : outboxes) {
            if (outbox.hearsInbox()) {
                if (frames == null) {
                    frames = InboxFrames.of(event);
                }
                outbox.control(frames);
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
        Map<Stream, List<Outbox>> held = new HashMap<>();
        byStream.forEach((stream, outboxes) -> held.put(stream, List.copyOf(outboxes)));
        holdAndCatchUp(held);
    }

    /** The same for one stream's sessions: its sharded subscription (re)started. */
    @Override
    public void subscribed(Stream stream) {
        Set<Outbox> outboxes = byStream.get(stream);
        if (outboxes != null) {
            holdAndCatchUp(Map.of(stream, List.copyOf(outboxes)));
        }
    }

    /** Holds each session once per stream to catch up; each of those holds is released by that stream's replay. */
    private void holdAndCatchUp(Map<Stream, List<Outbox>> held) {
        held.values().removeIf(List::isEmpty);
        if (held.isEmpty()) {
            return;
        }
        held.values().forEach(outboxes -> outboxes.forEach(Outbox::hold));
        try {
            background.execute(() -> held.forEach(this::catchUp));
        } catch (RejectedExecutionException e) {
            held.values().forEach(outboxes -> outboxes.forEach(outbox -> outbox.close(CloseCode.GOING_AWAY, "server shutting down")));
        }
    }

    private void catchUp(Stream stream, List<Outbox> outboxes) {
        NotificationId from = outboxes.stream().map(outbox -> outbox.lastId(stream)).min(Comparator.naturalOrder()).orElseThrow();
        try {
            // counts before the replay, as on open: the replay then holds every notification they count
            List<String> counts = stream.isUser() && outboxes.stream().anyMatch(Outbox::hearsInbox) ? countsFrame(stream) : List.of();
            Broker.Replay replay = broker.replay(stream, from);
            for (Outbox outbox : outboxes) {
                NotificationId lastId = outbox.lastId(stream);
                if (replay.lostAfter(lastId)) {
                    outbox.close(CloseCode.HISTORY_GAP, "history " + (outbox.streams().size() > 1 ? "of " + stream.frameName() + " " : "")
                            + "no longer reaches back to " + lastId);
                } else {
                    outbox.release(replay.entries(), counts);
                }
            }
        } catch (BrokerUnavailableException e) {
            LOG.log(Level.WARNING, "Could not catch up {0} session(s) on {1} after resubscribing: {2}", outboxes.size(),
                    stream.name(), e.getMessage());
            outboxes.forEach(outbox -> outbox.close(CloseCode.TRY_AGAIN_LATER, "broker unavailable; reconnect with since"));
        }
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
