package dev.herald.notification.control;

import dev.herald.notification.entity.IdempotencyKey;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * Stores notifications in bounded per-stream histories and fans them out live to every node.
 * Two engines: {@code memory} (one node, nothing to install) and {@code redis} (Streams + pub/sub).
 * Every method may throw {@link BrokerUnavailableException}.
 */
public interface Broker extends AutoCloseable {

    /** How long an idempotency key is remembered unless configured ({@code herald.publish.idempotency-ttl}). */
    Duration DEFAULT_IDEMPOTENCY_TTL = Duration.ofHours(24);

    /**
     * One notification to publish: where to, and what; with an idempotency key, at most once per
     * {@code herald.publish.idempotency-ttl} for that key, caller and stream.
     *
     * @param idempotencyKey null for none
     * @param expiresAt      when it expires, in epoch ms ({@link Notification#NEVER}: never): then it leaves history,
     *                       replay and inbox within about a second ({@link #expireDue}) and is sent to no socket
     */
    record Publication(Stream stream, Payload payload, IdempotencyKey idempotencyKey, long expiresAt) {

        public Publication(Stream stream, Payload payload, IdempotencyKey idempotencyKey) {
            this(stream, payload, idempotencyKey, Notification.NEVER);
        }

        public Publication(Stream stream, Payload payload) {
            this(stream, payload, null);
        }

        public boolean expires() {
            return expiresAt != Notification.NEVER;
        }

        /** The same publication, expiring at {@code expiresAt} (epoch ms). */
        public Publication expiringAt(long expiresAt) {
            return new Publication(stream, payload, idempotencyKey, expiresAt);
        }

        /**
         * What a repeat of the key must match to be a replay rather than a conflict: SHA-256 (hex) of the stream's
         * name and the payload, so an engine records 64 characters per key instead of the notification.
         */
        public String fingerprint() {
            try {
                MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
                sha256.update(stream.name().getBytes(StandardCharsets.UTF_8));
                sha256.update((byte) '\n'); // never in a stream name
                return HexFormat.of().formatHex(sha256.digest(payload.json().getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * One publication's outcome: the notification stored for it, and whether it was stored by an earlier call with
     * the same idempotency key (a replay: the original id, nothing published now).
     */
    record Published(Notification notification, boolean replayed) {
    }

    /**
     * A caller's publish rate limit: a token bucket refilled at {@code perSecond}, holding at most {@code burst};
     * each publication takes one permit.
     */
    record RateLimit(String caller, int perSecond, int burst) {
    }

    /**
     * Takes one permit per publication from {@code limit}'s bucket and, only when there were that many, stores
     * and publishes each under a new id, in the given order, as one step: all of them or (on an exception) none.
     * Returns only once they are stored, in the same order. The Redis engine keeps the bucket in Redis and takes
     * the permits in the same script as the publish (one round trip), so the limit holds across all nodes.
     * <p>
     * A publication whose idempotency key (for its caller and stream) was recorded within the ttl with the same
     * {@linkplain Publication#fingerprint() fingerprint} is a replay: it takes no permit, is not published again and
     * is answered with the recorded id; a later publication of the same call with the same key is a replay of the
     * earlier one. The key is checked and recorded in the same step as the publish.
     *
     * @param limit the caller's limit, or null for none (the node's own publishes)
     * @throws RateLimitedException when the bucket has too few permits: nothing was taken or published
     * @throws IdempotencyConflictException when a key was recorded with another fingerprint: nothing was published
     */
    List<Published> publish(RateLimit limit, List<Publication> publications);

    /** Stores and publishes them with no rate limit. */
    default List<Notification> publish(List<Publication> publications) {
        return publish(null, publications).stream().map(Published::notification).toList();
    }

    /** Stores and publishes one notification under a new id, with no rate limit. */
    default Notification publish(Stream stream, Payload payload) {
        return publish(List.of(new Publication(stream, payload))).get(0);
    }

    /** Up to {@code limit} entries, oldest first: the newest ones, or when {@code after} is given the first ones after it. */
    List<Notification> history(Stream stream, NotificationId after, int limit);

    /** The stream's bounds, with every entry after {@code after} (none when {@code after} is null). */
    Replay replay(Stream stream, NotificationId after);

    /**
     * Removes every notification whose expiry is not after {@code nowMillis} from history, replay and inbox, as a
     * delete does (counts in the same step; listeners told {@link Inbox.Change#EXPIRED}; resuming from an expired id,
     * or before it, is no gap). Called about twice a second by each node's {@link ExpirySweep}; any node may remove
     * what any node published.
     */
    void expireDue(long nowMillis);

    /** The user streams' read, seen and archived state and their counts, kept in this engine's storage. */
    Inbox inbox();

    /** Starts live delivery to {@code listener}; called once. */
    void start(Listener listener);

    /**
     * This node now has sessions on {@code stream}: deliver its notifications. Engines that receive every stream
     * anyway (memory, one Redis pattern subscription) ignore it; on Redis Cluster it subscribes the stream's shard
     * channel, and {@link Listener#subscribed(Stream)} says when that took effect. Must not block: it is called while
     * the session registry holds that stream's entry, which also keeps follow and {@link #unfollow} in order.
     */
    default void follow(Stream stream) {
    }

    /** The node's last session on {@code stream} closed: its notifications are no longer needed here. */
    default void unfollow(Stream stream) {
    }

    /** True when the broker answers and live delivery is subscribed (on Redis: and its probes come back). */
    boolean isReady();

    /** False only when live delivery stopped for good without being closed: the node must be restarted. */
    default boolean isAlive() {
        return true;
    }

    @Override
    void close();

    /** Receives live notifications, in id order per stream, on the broker's own thread: must not block. */
    interface Listener {

        void deliver(Notification notification);

        /**
         * Live delivery (re)started: anything published while it was down was not delivered. Called on the
         * delivering thread before any notification of the new subscription.
         */
        void subscribed();

        /**
         * Live delivery of one stream (re)started (a sharded subscription confirmed, or moved to another Redis node):
         * what was published to it before may not have been delivered. Called like {@link #subscribed()}, before any
         * notification of that stream from the new subscription.
         */
        default void subscribed(Stream stream) {
            subscribed();
        }

        /**
         * A user's inbox changed (on any node), after any notification the change published: the new counts and what
         * changed. Counts are absolute, so a missed event is repaired by the next one or by reading them again.
         */
        default void inboxChanged(Inbox.Event event) {
        }
    }

    /**
     * What a stream holds after some id.
     *
     * @param lastGenerated the newest id the stream ever issued
     * @param maxDeleted    the newest id trimmed from history ({@link NotificationId#ZERO} if none); not one a user
     *                      deleted ({@link Inbox#delete}), which leaves no gap
     * @param heldAfter     the id the replay started after, when the stream holds that entry or a user deleted it;
     *                      else null
     */
    record Replay(NotificationId lastGenerated, NotificationId maxDeleted, List<Notification> entries, NotificationId heldAfter) {

        public Replay {
            entries = List.copyOf(entries);
        }

        /**
         * True when history no longer holds everything after {@code id}: entries after it were trimmed, or the
         * stream does not know {@code id} at all. The second is what a Redis failover without
         * {@code herald.redis.wait-replicas} leaves: the promoted replica never got the newest entries, so a client
         * that saw one of them resumes from an id the stream never held, and what followed it on the old primary is
         * gone; without this check the client would silently skip it once the new primary issues newer ids.
         */
        public boolean lostAfter(NotificationId id) {
            return maxDeleted.isAfter(id) || !knows(id);
        }

        /** True when a client's {@code since} can be resumed from with nothing missing. */
        public boolean canResume(NotificationId since) {
            return since.equals(NotificationId.ZERO) || !since.isAfter(lastGenerated) && !lostAfter(since);
        }

        /** The id is zero, at or before the newest trimmed one, or an entry of the stream this replay saw. */
        private boolean knows(NotificationId id) {
            return id.equals(NotificationId.ZERO) || !id.isAfter(maxDeleted) || id.equals(heldAfter)
                    || entries.stream().anyMatch(entry -> entry.id().equals(id));
        }
    }
}
