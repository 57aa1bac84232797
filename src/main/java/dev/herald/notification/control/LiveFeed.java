package dev.herald.notification.control;

import dev.herald.notification.entity.Stream;

/**
 * A node's live notifications from Redis, on its own threads, to a {@link Broker.Listener}: {@link RedisSubscriber}
 * (one pattern subscription to every stream: one server or Sentinel) or {@link ShardedSubscriber} (a shard channel per
 * followed stream: Cluster).
 */
interface LiveFeed {

    void start(Broker.Listener listener);

    /** See {@link Broker#follow}: must not block. */
    default void follow(Stream stream) {
    }

    default void unfollow(Stream stream) {
    }

    /** Drops its connections: it subscribes again on fresh ones, to the topology as it is now, and catches up. */
    void reconnect();

    /** False only when the feed ended without being closed: live delivery is over until a restart. */
    boolean isAlive();

    /** Receiving everything it should, as far as it can tell. */
    boolean isSubscribed();

    void close();
}
