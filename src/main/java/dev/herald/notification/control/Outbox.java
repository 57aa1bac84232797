package dev.herald.notification.control;

import dev.herald.notification.entity.CloseCode;
import dev.herald.notification.entity.Cursor;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One session's outbound queue: frames of each stream leave strictly in id order, one send in flight at a time
 * (portable across containers, which may refuse concurrent async sends), and never twice.
 * <p>
 * While a replay from history is pending ({@link #hold()} … {@link #release(List)}) live notifications are
 * held back; the release sends the replayed entries, then the held ones, skipping every id already sent.
 * That merge is what makes resume exact: no gap, no duplicate, whatever the interleaving.
 * <p>
 * A session may carry several streams (a user's, groups, the broadcast stream): one outbox for all of them, so
 * one frame is in flight per socket; ids are compared per stream, and each frame then names its stream and holds
 * the {@link Cursor} of every stream as of that frame, built when the frame leaves (what was sent, not queued).
 * <p>
 * A session that hears its user's inbox (subprotocol {@code herald.2}) also gets control frames ({@link InboxFrames}),
 * through the same queue so they keep their place after the notifications that caused them. They carry no id and
 * no cursor, so resuming ignores them; they are held and counted toward the slow-consumer limits like live frames
 * (a client that stops reading must not grow the queue without bound), but never counted as delivered notifications.
 */
public final class Outbox {

    private static final AtomicLong SERIALS = new AtomicLong();
    /** {@link #inFlightSince} when no frame is in flight. */
    private static final long NONE = Long.MIN_VALUE;
    /** {@link #handoff} states: the frame is in flight; its completion came; the sending loop has let go of it. */
    private static final int IN_FLIGHT = 0;
    private static final int COMPLETED = 1;
    private static final int CALLER_LEFT = 2;

    /** Where frames go: a WebSocket session, or a test's recorder. */
    public interface Peer {
        /**
         * Sends the notification's frame ({@code frame}) asynchronously; {@code done} gets null or the failure.
         * {@code notification} is null for a control frame.
         */
        void send(Notification notification, String frame, Consumer<Throwable> done);

        /** Closes the connection with a code and a reason; must not block. */
        void close(CloseCode code, String reason);
    }

    private final Stream[] streams;
    /** Per stream (index for index): the newest id queued, so never queued again. */
    private final NotificationId[] queuedUpTo;
    /** With several streams: how frames name them, and the newest id handed to the peer (only the drain writes it). */
    private final String[] frameNames;
    private final NotificationId[] sentUpTo;
    private final Peer peer;
    private final Executor sender;
    private final Limits limits;
    /** Live frames waiting (replayed ones are not counted: see {@link #enqueue}), and their characters. */
    private int liveFrames;
    private long liveChars;
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    /** Live frames (notifications and control frames) that came while held, in arrival order. */
    private final List<Queued> held = new ArrayList<>();
    /** True when the session gets its user's inbox control frames. */
    private final boolean hearsInbox;
    private final Instant expiresAt;
    /** Tells apart outboxes that expire at the same instant ({@link Outboxes} keeps them ordered by expiry). */
    final long serial = SERIALS.incrementAndGet();
    private volatile long lastActivityNanos = System.nanoTime();
    /** When the frame now in flight was handed to the peer ({@link System#nanoTime()}), or {@link #NONE}. */
    private volatile long inFlightSince = NONE;
    /**
     * Who continues the drain once a frame is in flight: the loop, if the completion came inline, or the completion.
     * One per outbox, reset per frame, as is {@link #sent}: one frame is in flight at a time, so nothing per frame.
     */
    private final AtomicInteger handoff = new AtomicInteger();
    private final Consumer<Throwable> sent = this::sent;
    private int holds = 1;
    private boolean sending;
    private boolean closed;

    /**
     * When one session counts as too slow: more frames waiting, or more characters (bytes, for ASCII frames), than
     * this; or one frame in flight for longer than {@code sendTimeout} (zero or negative: no limit).
     */
    public record Limits(int frames, long chars, Duration sendTimeout) {

        public Limits {
            Objects.requireNonNull(sendTimeout, "sendTimeout");
        }

        /** Without a send timeout. */
        public Limits(int frames, long chars) {
            this(frames, chars, Duration.ZERO);
        }

        /** The send timeout in nanoseconds; {@link Long#MAX_VALUE} for none. */
        long sendTimeoutNanos() {
            return sendTimeout.isNegative() || sendTimeout.isZero() ? Long.MAX_VALUE : sendTimeout.toNanos();
        }
    }

    /** A notification's frame, or ({@code notification} null) a control frame's text. */
    private record Queued(Notification notification, String control, boolean replayed) {

        int length() {
            return notification == null ? control.length() : notification.frame().length();
        }
    }

    /**
     * Starts held: nothing is sent before the first {@link #release(List)}.
     *
     * @param streams   what the session carries: one frame format for one stream (today's), another for several
     * @param after     per stream, index for index: the id after which its notifications are sent
     * @param expiresAt when the session's token expires: the session is closed with {@link CloseCode#TOKEN_EXPIRED} then
     * @param sender    runs the sending: whoever delivers (the broker's subscriber thread) only queues
     * @param hearsInbox true when the session gets control frames of its user stream's inbox ({@link #control})
     */
    public Outbox(List<Stream> streams, List<NotificationId> after, Instant expiresAt, Peer peer, Limits limits, Executor sender,
                  boolean hearsInbox) {
        if (streams.isEmpty() || streams.size() != after.size()) {
            throw new IllegalArgumentException("one starting id per stream, and at least one stream");
        }
        this.streams = streams.toArray(Stream[]::new);
        this.queuedUpTo = after.toArray(NotificationId[]::new);
        this.frameNames = streams.size() == 1 ? null : streams.stream().map(Stream::frameName).toArray(String[]::new);
        this.sentUpTo = streams.size() == 1 ? null : queuedUpTo.clone();
        this.expiresAt = expiresAt;
        this.peer = peer;
        this.limits = limits;
        this.sender = sender;
        this.hearsInbox = hearsInbox;
    }

    /** One stream; never expires; sends on the thread that delivers or releases. */
    Outbox(Stream stream, NotificationId after, Peer peer, Limits limits) {
        this(List.of(stream), List.of(after), Instant.MAX, peer, limits, Runnable::run, false);
    }

    /** As {@link #Outbox(Stream, NotificationId, Peer, Limits)}, hearing the inbox of its user stream. */
    Outbox(Stream stream, NotificationId after, Peer peer, Limits limits, boolean hearsInbox) {
        this(List.of(stream), List.of(after), Instant.MAX, peer, limits, Runnable::run, hearsInbox);
    }

    /** True when the session gets its user's inbox control frames. */
    public boolean hearsInbox() {
        return hearsInbox;
    }

    /** The streams this session carries. */
    public List<Stream> streams() {
        return List.of(streams);
    }

    /** The position of a stream in {@link #streams}, or -1. */
    private int indexOf(Stream stream) {
        if (streams.length == 1) {
            return streams[0].equals(stream) ? 0 : -1;
        }
        for (int i = 0; i < streams.length; i++) {
            if (streams[i].equals(stream)) {
                return i;
            }
        }
        return -1;
    }

    /** Fixed for the outbox's life: {@link Outboxes} orders its outboxes by it. */
    public Instant expiresAt() {
        return expiresAt;
    }

    /** Something arrived from the client. */
    public void touch() {
        lastActivityNanos = System.nanoTime();
    }

    /** True when nothing was sent to or received from the client for {@code timeout}. */
    public boolean idleLongerThan(Duration timeout, long nowNanos) {
        return nowNanos - lastActivityNanos > timeout.toNanos();
    }

    /** The newest id of a stream queued for this session: resuming after it misses nothing. */
    public synchronized NotificationId lastId(Stream stream) {
        return queuedUpTo[indexOf(stream)];
    }

    /** A live notification for one of this session's streams. */
    public void deliver(Notification notification) {
        boolean startSending;
        synchronized (this) {
            if (closed) {
                return;
            }
            if (holds > 0) {
                held.add(new Queued(notification, null, false));
                startSending = false;
                if (held.size() > limits.frames()) {
                    overflow();
                }
            } else {
                startSending = enqueue(notification, false);
            }
        }
        if (startSending) {
            startDrain();
        }
    }

    /**
     * Control frames for the session's user stream (a change of its inbox): queued behind every notification
     * delivered before them, held while the session is held. Ignored unless the session {@link #hearsInbox()}.
     */
    public void control(List<String> frames) {
        boolean startSending = false;
        synchronized (this) {
            if (closed || !hearsInbox) {
                return;
            }
            for (String frame : frames) {
                if (holds > 0) {
                    held.add(new Queued(null, frame, false));
                    if (held.size() > limits.frames()) {
                        overflow();
                        return;
                    }
                } else {
                    startSending |= enqueue(new Queued(null, frame, false));
                }
            }
        }
        if (startSending) {
            startDrain();
        }
    }

    /** Holds live notifications back until the matching {@link #release(List)}. */
    public synchronized void hold() {
        holds++;
    }

    /**
     * Sends {@code replayed} (for each stream in it, everything stored after some id at or before
     * {@link #lastId(Stream)}, in order), then what was held.
     */
    public void release(List<Notification> replayed) {
        release(replayed, List.of());
    }

    /**
     * As {@link #release(List)}, with control frames sent right after the replayed entries and before what was
     * held (counts read before the replay: newer changes' frames, held meanwhile, follow them). Control frames are
     * dropped unless the session {@link #hearsInbox()}.
     */
    public void release(List<Notification> replayed, List<String> controls) {
        boolean startSending = false;
        synchronized (this) {
            if (closed) {
                return;
            }
            for (Notification notification : replayed) {
                startSending |= enqueue(notification, true);
            }
            if (hearsInbox) {
                for (String frame : controls) {
                    startSending |= enqueue(new Queued(null, frame, false));
                }
            }
            if (--holds == 0) {
                for (Queued queued : held) {
                    startSending |= queued.notification() == null ? enqueue(queued) : enqueue(queued.notification(), false);
                }
                held.clear();
            }
        }
        if (startSending) {
            startDrain();
        }
    }

    /**
     * Queues a frame unless already sent; true when the caller must start the drain. Only live frames count
     * toward the slow-consumer limits: a replay (a resume with since, a catch-up after the broker came back)
     * is bounded by the history size and is already in memory. Counting it made every resume from further
     * back than the limit fail at once with 4429, so a client closed as too slow could never catch up.
     */
    private boolean enqueue(Notification notification, boolean replayed) {
        int index = indexOf(notification.stream());
        if (closed || index < 0 || !notification.id().isAfter(queuedUpTo[index])) {
            return false;
        }
        queuedUpTo[index] = notification.id();
        return enqueue(new Queued(notification, null, replayed));
    }

    /** Queues a frame that is not a duplicate (or a control frame); true when the caller must start the drain. */
    private boolean enqueue(Queued queued) {
        if (closed) {
            return false;
        }
        boolean replayed = queued.replayed();
        queue.addLast(queued);
        if (!replayed) {
            liveFrames++;
            liveChars += queued.length();
        }
        if (liveFrames > limits.frames() || liveChars > limits.chars()) {
            overflow();
            return false;
        }
        if (sending) {
            if (!replayed && sendTimedOut(System.nanoTime())) {
                closeAsTimedOut();
            }
            return false;
        }
        sending = true;
        return true;
    }

    /**
     * True when a frame has been in flight longer than the send timeout: the client has stopped reading (the
     * container's own send timeout is not relied on: Tyrus 2.1.5 ignores {@code setSendTimeout}).
     */
    private boolean sendTimedOut(long nowNanos) {
        long since = inFlightSince;
        return since != NONE && nowNanos - since > limits.sendTimeoutNanos();
    }

    /**
     * Closes the session as too slow if a frame has been in flight longer than the send timeout. Called by the
     * periodic sweep; {@link #deliver} checks too, for free, whenever another frame comes while one is in flight.
     */
    public void closeIfSendTimedOut(long nowNanos) {
        if (sendTimedOut(nowNanos)) {
            closeAsTimedOut();
        }
    }

    private void closeAsTimedOut() {
        close(CloseCode.SLOW_CONSUMER, "too slow: a frame waited over " + limits.sendTimeout().toMillis()
                + " ms for the client; reconnect with " + resumeHint());
    }

    private void overflow() {
        // not the queued ids: those are the newest queued, not the newest the client received
        close(CloseCode.SLOW_CONSUMER, "too slow: " + queue.size() + " notifications waiting; reconnect with " + resumeHint());
    }

    private String resumeHint() {
        return frameNames == null ? "since=<the last id received>" : "since=<the last cursor received>";
    }

    private void startDrain() {
        try {
            sender.execute(this::drain);
        } catch (RejectedExecutionException e) {
            drain(); // shutting down: the last frames go out from here
        }
    }

    /**
     * Sends queued frames one at a time. A send that completes inline continues this loop instead of
     * recursing, so a fast peer cannot grow the stack; one that completes later continues on its own thread.
     */
    private void drain() {
        while (true) {
            Notification next;
            String frame;
            synchronized (this) {
                Queued queued = closed ? null : queue.pollFirst();
                if (queued == null) {
                    sending = false;
                    return;
                }
                next = queued.notification();
                if (!queued.replayed()) {
                    liveFrames--;
                    liveChars -= queued.length();
                }
                frame = next == null ? queued.control() : null;
            }
            if (next != null) {
                if (next.expiresAt() != Notification.NEVER && next.isExpiredAt(System.currentTimeMillis())) {
                    continue; // expired while it waited: it must reach no client now (the engine sweeps it from history)
                }
                frame = frameNames == null ? next.frame() : frameWithCursor(next);
            }
            long now = System.nanoTime();
            lastActivityNanos = now;
            handoff.set(IN_FLIGHT);
            inFlightSince = now;
            peer.send(next, frame, sent);
            if (handoff.getAndSet(CALLER_LEFT) != COMPLETED) {
                return;
            }
        }
    }

    /** The frame of a session with several streams: its stream's name and every stream's position, this frame included. */
    private String frameWithCursor(Notification next) {
        int index = indexOf(next.stream());
        sentUpTo[index] = next.id();
        return next.frameWith(frameNames[index], Cursor.encode(frameNames, sentUpTo));
    }

    /** The frame in flight's completion: null, or the failure. */
    private void sent(Throwable failure) {
        inFlightSince = NONE;
        if (failure != null) {
            close(CloseCode.ERROR, "send failed");
            return;
        }
        if (handoff.getAndSet(COMPLETED) == CALLER_LEFT) {
            drain();
        }
    }

    /** Closes the session and drops whatever is queued; later calls do nothing. */
    public void close(CloseCode code, String reason) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            queue.clear();
            held.clear();
        }
        peer.close(code, reason);
    }

    public synchronized boolean isClosed() {
        return closed;
    }
}
