package dev.herald.notification.control;

import dev.herald.notification.entity.IdempotencyKey;
import dev.herald.notification.entity.Stream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Every Redis key and channel name Herald uses, in one place. Everything that belongs to one stream carries the
 * stream's name as its hash tag ({@code {user:42}}), so on Redis Cluster it all lives in one hash slot and one
 * script can touch it: the stream ({@code herald:stream:{user:42}}), its live channel ({@code herald:live:{user:42}},
 * a shard channel on Cluster), the publishers' idempotency keys for it ({@code herald:idem:{user:42}:<caller>:<key>}),
 * a user's inbox ({@link #inbox}) and whatever later features keep per stream. Standalone and Sentinel ignore the tags;
 * the {@code herald:live:} prefix keeps one pattern subscription ({@code herald:live:*}) and one ACL channel rule
 * enough there. A caller's rate-limit bucket is tagged with the caller, so it has a slot of its own.
 */
final class RedisKeys {

    static final String STREAM_PREFIX = "herald:stream:";
    static final String CHANNEL_PREFIX = "herald:live:";
    static final String RATE_PREFIX = "herald:rate:";
    private static final String PROBE_PREFIX = "probe:";
    private static final String PROBE_CHANNEL_PREFIX = CHANNEL_PREFIX + "{" + PROBE_PREFIX;
    static final String IDEMPOTENCY_PREFIX = "herald:idem:";
    private static final String INBOX_PREFIX = "herald:inbox:";
    private static final String EXPIRED_PREFIX = "herald:expired:";

    private RedisKeys() {
    }

    static String stream(Stream stream) {
        return STREAM_PREFIX + tag(stream.name());
    }

    static String channel(Stream stream) {
        return CHANNEL_PREFIX + tag(stream.name());
    }

    /** A channel that carries no stream, e.g. a node's probe: still under the live prefix, in its own slot. */
    static String channel(String name) {
        return CHANNEL_PREFIX + tag(name);
    }

    /** A node's probe channel ({@link Canary}): {@code herald:live:{probe:<node>}}, which no stream's name can be. */
    static String probeChannel(String node) {
        return channel(PROBE_PREFIX + node);
    }

    /** Any node's probe channel. */
    static boolean isProbeChannel(String channel) {
        return channel.startsWith(PROBE_CHANNEL_PREFIX);
    }

    static String rate(String caller) {
        return RATE_PREFIX + tag(caller);
    }

    /**
     * A publisher's idempotency key for one stream, in the stream's slot. The caller is URL-encoded, so it holds no
     * {@code :} and the name is unambiguous: caller {@code a:b} with key {@code c} never meets caller {@code a} with
     * key {@code b:c}.
     */
    static String idempotency(Stream stream, IdempotencyKey key) {
        return IDEMPOTENCY_PREFIX + tag(stream.name()) + ":" + URLEncoder.encode(key.caller(), StandardCharsets.UTF_8)
                + ":" + key.value();
    }

    /**
     * A user's inbox, in its stream's slot: one hash {@code herald:inbox:{user:42}} holding the counts ({@code unread},
     * {@code unseen}, {@code total}), each entry's flags under its id ({@link Inbox.Flags}; absent: unread, unseen, not
     * archived), {@code trimmed} (the newest id trimmed from history, which Redis' own max-deleted-entry-id stops being
     * once a user deletes one) and {@code deleted} (the ids users deleted since, space-separated: replay counts them as
     * held). One key that exists whenever the stream does, because while a Cluster slot migrates, a script whose keys
     * are partly absent from the source is refused ({@code TRYAGAIN}) until the migration ends.
     */
    static String inbox(Stream stream) {
        return INBOX_PREFIX + tag(stream.name());
    }

    /** What {@link RedisScripts#REPLAY} reads: the stream and, for a user's, its inbox (trimmed, deleted and expired ids). */
    static List<String> replayKeys(Stream stream) {
        return stream.isUser() ? List.of(stream(stream), inbox(stream)) : List.of(stream(stream));
    }

    /**
     * A group's or the broadcast stream's expired ids, in its slot: a hash whose {@code deleted} holds them as the
     * inbox's does a user's (which keeps a user stream's expired ids too). Made by the first expiry of that stream,
     * and read apart from the replay script ({@link RedisExpiry#expired}): a replay of a stream that never had one
     * must not name a key that does not exist, which a migrating Cluster slot refuses (TRYAGAIN).
     */
    static String expired(Stream stream) {
        return EXPIRED_PREFIX + tag(stream.name());
    }

    /** What {@link RedisExpiryScripts#EXPIRE} changes: the stream and where its removed ids are kept. */
    static List<String> expiryKeys(Stream stream) {
        return List.of(stream(stream), stream.isUser() ? inbox(stream) : expired(stream));
    }

    /**
     * Every node's index of what expires when: a sorted set of {@code <second> <stream name>} members scored by that
     * second's end in epoch ms. Not tagged: on Cluster it has a slot of its own, written apart from the publish.
     */
    static final String EXPIRING = "herald:expiring";

    /** The name inside a live channel's hash tag: {@code user:42} for {@code herald:live:{user:42}}, else null. */
    static String channelName(String channel) {
        if (channel.startsWith(CHANNEL_PREFIX + "{") && channel.endsWith("}")) {
            return channel.substring(CHANNEL_PREFIX.length() + 1, channel.length() - 1);
        }
        return null;
    }

    /**
     * Stream names never hold braces (user ids are {@code [A-Za-z0-9._@:-]}), so the tag is the whole name. A caller
     * (a token's subject) might: its bucket is then tagged with part of it, which only decides the bucket's slot.
     */
    private static String tag(String name) {
        return "{" + name + "}";
    }
}
