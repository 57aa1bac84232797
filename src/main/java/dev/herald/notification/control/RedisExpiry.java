package dev.herald.notification.control;

import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ZAddParams;
import redis.clients.jedis.resps.Tuple;

/**
 * Expiry on Redis. A publication with an expiry is stored with it ({@link RedisScripts#PUBLISH}: field {@code e});
 * before the publish, its stream is entered in the index {@link RedisKeys#EXPIRING} under the second its expiry falls
 * in (rounded up: one member per stream and second, however many notifications share them). The index lives in a
 * slot of its own on Cluster, so it is written by a command of its own, and before the publish: a crash in between
 * leaves only a member with nothing to expire. Publications without an expiry pay nothing for any of this.
 * <p>
 * Every node sweeps ({@link #expireDue}): it takes the index's due members, runs {@link RedisExpiryScripts#EXPIRE}
 * on each one's stream, then removes the member. Nodes may sweep the same member at once: a second run finds nothing
 * left to remove and tells nobody.
 */
final class RedisExpiry {

    private static final System.Logger LOG = System.getLogger(RedisExpiry.class.getName());

    /** Members taken at once. */
    private static final int BATCH = 200;
    /** How long one sweep may go on taking batches: less than the sweep's period ({@link ExpirySweep#PERIOD}). */
    private static final Duration BUDGET = Duration.ofMillis(300);

    private final UnifiedJedis commands;
    private final int historySize;
    private final RedisScripts.Script expireScript;

    RedisExpiry(RedisClients clients, int historySize) {
        this.commands = clients.commands();
        this.historySize = historySize;
        this.expireScript = clients.isCluster() ? RedisExpiryScripts.SEXPIRE : RedisExpiryScripts.EXPIRE;
    }

    /** Enters the expiring publications' streams in the index (one command), before they are published; none: nothing. */
    void index(List<Broker.Publication> publications) {
        Map<String, Double> members = new HashMap<>();
        for (Broker.Publication publication : publications) {
            if (publication.expires()) {
                long second = -Math.floorDiv(-publication.expiresAt(), 1000); // rounded up
                members.put(second + " " + publication.stream().name(), second * 1000.0);
            }
        }
        if (members.isEmpty()) {
            return;
        }
        try {
            commands.zadd(RedisKeys.EXPIRING, members, ZAddParams.zAddParams());
        } catch (JedisException e) {
            throw RedisBroker.unavailable(e); // nothing published yet: safe to retry
        }
    }

    /**
     * Whether {@code id} expired from a group's or the broadcast stream (a user's: the replay script reads its inbox):
     * asked only when a replay did not find its resume point, which is rare, so a replay pays nothing for expiry.
     * Read after the replay: an id that expired in between is found here; one forgotten (more expired ids than the
     * history size) reads as a gap, a needless reload, never a silent loss.
     */
    boolean expired(Stream stream, NotificationId id) {
        String deleted;
        try {
            deleted = commands.hget(RedisKeys.expired(stream), "deleted");
        } catch (JedisException e) {
            throw RedisBroker.unavailable(e);
        }
        return deleted != null && (" " + deleted + " ").contains(" " + id + " ");
    }

    /** Works off due members a batch at a time, for up to {@link #BUDGET}: a backlog never makes one sweep long. */
    void expireDue(long nowMillis) {
        long deadline = System.nanoTime() + BUDGET.toNanos();
        while (expireBatch(nowMillis) == BATCH && System.nanoTime() - deadline < 0) {
            // more are due: the next batch
        }
    }

    /** Expires the streams the first {@link #BATCH} due members name, and removes those members; returns how many it took. */
    private int expireBatch(long nowMillis) {
        List<Tuple> due;
        try {
            due = commands.zrangeByScoreWithScores(RedisKeys.EXPIRING, 0, nowMillis, 0, BATCH);
        } catch (JedisException e) {
            throw RedisBroker.unavailable(e);
        }
        Set<Stream> streams = new LinkedHashSet<>();
        for (Tuple member : due) {
            try {
                streams.add(Stream.named(member.getElement().substring(member.getElement().indexOf(' ') + 1)));
            } catch (IllegalArgumentException e) {
                LOG.log(Level.WARNING, "Dropped a member of " + RedisKeys.EXPIRING + " that names no stream: " + member.getElement());
            }
        }
        for (Stream stream : streams) {
            expireScript.run(commands, RedisKeys.expiryKeys(stream),
                    List.of(String.valueOf(nowMillis), String.valueOf(historySize), stream.isUser() ? "1" : "0"));
        }
        if (!due.isEmpty()) {
            try {
                commands.zrem(RedisKeys.EXPIRING, due.stream().map(Tuple::getElement).toArray(String[]::new));
            } catch (JedisException e) {
                throw RedisBroker.unavailable(e); // the members stay: the next sweep runs them again, finding nothing
            }
        }
        return due.size();
    }
}
