package dev.herald.notification.control;

import dev.herald.notification.entity.CloseCode;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.Stream;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * What Herald reports about itself. The MicroProfile Metrics implementation lives in one class
 * ({@code dev.herald.operations.boundary.MicroProfileTelemetry}) so the WAR still deploys where MP Metrics is missing; there
 * this interface's no-op bean ({@link None}) is used.
 */
public interface Telemetry {

    /**
     * Notifications were stored and published by one call to the broker (a publish, or a batch), which
     * {@code took} this long: counted per notification, timed once per call. Replays of an idempotency key are not
     * notifications published: a call that published only replays is not reported.
     *
     * @param byKind how many went to each kind of stream; a kind with none may be missing
     */
    void published(Map<Stream.Kind, Long> byKind, Duration took);

    /** A frame reached a socket (its write completed). */
    void delivered(Notification notification);

    /** A session closed with this code. */
    void sessionClosed(CloseCode code);

    /** A handshake was refused because its user has as many sockets as allowed: counted as a close "limit". */
    void refusedOverUserLimit();

    /** Live delivery was re-established after the subscriber lost Redis. */
    void resubscribed();

    /** A probe published to Redis did not come back to this node's subscriber in time (see {@link Canary}). */
    void probeMissed();

    /** The inbox routes' operations, a metric's tag each: marks by their name, and the rest. */
    enum InboxOperation {
        LIST, COUNTS, READ, UNREAD, SEEN, ARCHIVE, UNARCHIVE, DELETE, RETRACT;

        public static InboxOperation of(Inbox.Mark mark) {
            return valueOf(mark.name());
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The inbox answered an operation (a delete or retract of an id it did not hold included); never per user. */
    void inboxOperation(InboxOperation operation);

    /** Reports nothing: the default where MicroProfile Metrics is not available. */
    @jakarta.enterprise.context.ApplicationScoped
    class None implements Telemetry {

        @Override
        public void published(Map<Stream.Kind, Long> byKind, Duration took) {
        }

        @Override
        public void delivered(Notification notification) {
        }

        @Override
        public void sessionClosed(CloseCode code) {
        }

        @Override
        public void refusedOverUserLimit() {
        }

        @Override
        public void resubscribed() {
        }

        @Override
        public void probeMissed() {
        }

        @Override
        public void inboxOperation(InboxOperation operation) {
        }
    }
}
