package dev.herald.notification.control;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executor;
import redis.clients.jedis.Connection;
import redis.clients.jedis.CommandObjects;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The multi-node engine. Each stream is a Redis Stream ({@code herald:stream:{<name>}}, trimmed to exactly
 * the history size) and a pub/sub channel ({@code herald:live:{<name>}}), named by {@link RedisKeys}; one Lua script appends and
 * publishes, so history and live agree on the id and on the order. Live delivery comes from
 * {@link RedisSubscriber}; the connections from {@link RedisClients}.
 */
final class RedisBroker implements Broker {

    private static final String ENTRY_FIELD = "p";

    /**
     * Checks the idempotency keys, takes the caller's permits, then appends, trims and publishes a list of notifications
     * as one step: {@code <id> <payload>} on each one's channel.
     * <p>
     * ARGV: [1] the history size, [2] and [3] the rate limit's refill per second and burst (0: no limit, and then no
     * bucket key), [4] the idempotency ttl in ms; then two per publication i (from 1): ARGV[3 + 2i] its payload,
     * ARGV[4 + 2i] its fingerprint ({@link Publication#fingerprint()}), or empty without an idempotency key.
     * KEYS: with a limit, first the caller's token bucket ({@code t} tokens at time {@code ts}, on Redis' clock); then
     * each publication's stream, in order; then the idempotency key ({@link RedisKeys#idempotency}) of each publication
     * that has one, in order: a hash {@code f} (fingerprint) {@code i} (id), expiring after the ttl.
     * <p>
     * The keys are read first. One recorded with another fingerprint, or repeated within the call with another, makes
     * the reply {@code {'conflict', i}} (the publication's 1-based position), nothing published or taken. One recorded
     * with the same fingerprint is a replay, answered with the recorded id; a repeat within the call, with the first
     * one's id. Replays take no permit: too few for the rest is {@code {'limited', <ms to wait>}}, nothing published.
     * Otherwise the reply is {@code {'published', {ids}, {replayed}}}, one id and one 1-or-0 per publication, in order.
     * Every key of one call must be in one hash slot on Cluster (the bucket apart): the script works on any such subset
     * of a batch. Trimming with XDEL rather than XADD MAXLEN because only XDEL records {@code max-deleted-entry-id},
     * which is how a resume point that history no longer covers is recognised.
     */
    private static final Script PUBLISH = new Script("""
            local size, rate, burst, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
            local first = 1
            if rate > 0 then first = 2 end
            local count = (#ARGV - 4) / 2
            local keyOf, recorded, sameAs, firstInCall = {}, {}, {}, {}
            local fresh, k = count, first + count
            for i = 1, count do
              local fingerprint = ARGV[4 + 2 * i]
              if fingerprint ~= '' then
                local key = KEYS[k]
                k = k + 1
                keyOf[i] = key
                local seen = redis.call('HMGET', key, 'f', 'i')
                local earlier = firstInCall[key]
                local expected = seen[1] or (earlier and ARGV[4 + 2 * earlier])
                if expected and expected ~= fingerprint then return {'conflict', i} end
                if seen[1] then
                  recorded[i] = seen[2]
                  fresh = fresh - 1
                elseif earlier then
                  sameAs[i] = earlier
                  fresh = fresh - 1
                end
                if not earlier then firstInCall[key] = i end
              end
            end
            if rate > 0 and fresh > 0 then
              local time = redis.call('TIME')
              local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
              local state = redis.call('HMGET', KEYS[1], 't', 'ts')
              local tokens = math.min(burst, (tonumber(state[1]) or burst) + math.max(0, now - (tonumber(state[2]) or now)) * rate)
              if tokens < fresh then return {'limited', math.ceil((fresh - tokens) / rate * 1000)} end
              redis.call('HSET', KEYS[1], 't', tostring(tokens - fresh), 'ts', tostring(now))
              redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
            end
            local ids, replayed, streams = {}, {}, {}
            for i = 1, count do
              if recorded[i] then
                ids[i], replayed[i] = recorded[i], 1
              elseif sameAs[i] then
                ids[i], replayed[i] = ids[sameAs[i]], 1
              else
                local stream = KEYS[first + i - 1]
                ids[i], replayed[i] = redis.call('XADD', stream, '*', 'p', ARGV[3 + 2 * i]), 0
                streams[stream] = true
                if keyOf[i] then
                  redis.call('HSET', keyOf[i], 'f', ARGV[4 + 2 * i], 'i', ids[i])
                  redis.call('PEXPIRE', keyOf[i], ttl)
                end
              end
            end
            for key in pairs(streams) do
              local excess = redis.call('XLEN', key) - size
              if excess > 0 then
                for _, entry in ipairs(redis.call('XRANGE', key, '-', '+', 'COUNT', excess)) do
                  redis.call('XDEL', key, entry[1])
                end
              end
            end
            for i = 1, count do
              if replayed[i] == 0 then
                redis.call('PUBLISH', '%s' .. string.sub(KEYS[first + i - 1], %d), ids[i] .. ' ' .. ARGV[3 + 2 * i])
              end
            end
            return {'published', ids, replayed}""".formatted(RedisKeys.CHANNEL_PREFIX, RedisKeys.STREAM_PREFIX.length() + 1));

    /** The stream's last issued and newest trimmed ids, then (id, payload) pairs after ARGV[1] if given. */
    private static final Script REPLAY = new Script("""
            if redis.call('EXISTS', KEYS[1]) == 0 then return {'0-0', '0-0'} end
            local info = redis.call('XINFO', 'STREAM', KEYS[1])
            local last, deleted = '0-0', '0-0'
            for i = 1, #info, 2 do
              if info[i] == 'last-generated-id' then last = info[i + 1] end
              if info[i] == 'max-deleted-entry-id' then deleted = info[i + 1] end
            end
            local result = {last, deleted}
            if ARGV[1] ~= '' then
              for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+')) do
                result[#result + 1] = entry[1]
                result[#result + 1] = entry[2][2]
              end
            end
            return result""");

    private static final CommandObjects COMMANDS = new CommandObjects();

    private final int historySize;
    private final ReplicaWait replicaWait;
    private final Duration idempotencyTtl;
    private final RedisClients clients;
    private final JedisPooled pool;
    private final RedisSubscriber subscriber;

    /** @param longRunning runs the subscriber loop and its watchdog, each for the life of the application */
    RedisBroker(RedisClients clients, int historySize, Executor longRunning) {
        this(clients, historySize, ReplicaWait.NONE, Broker.DEFAULT_IDEMPOTENCY_TTL, longRunning);
    }

    /**
     * @param replicaWait    how many replicas must confirm each publish before it counts as stored
     * @param idempotencyTtl how long a publisher's idempotency key is remembered
     */
    RedisBroker(RedisClients clients, int historySize, ReplicaWait replicaWait, Duration idempotencyTtl, Executor longRunning) {
        this.historySize = historySize;
        this.replicaWait = replicaWait;
        this.idempotencyTtl = idempotencyTtl;
        this.clients = clients;
        this.pool = clients.pool();
        this.subscriber = new RedisSubscriber(clients::subscriberConnection, longRunning);
        clients.trustRecentConnectionsWhile(subscriber::isSubscribed);
    }

    @Override
    public List<Published> publish(RateLimit limit, List<Publication> publications) {
        List<?> reply = publishOnce(limit, publishCall(limit, publications));
        List<?> ids = (List<?>) reply.get(1);
        List<?> replayed = (List<?>) reply.get(2);
        List<Published> published = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            Publication publication = publications.get(i);
            Notification notification = Notification.of(publication.stream(), NotificationId.parse((String) ids.get(i)),
                    publication.payload().json());
            published.add(new Published(notification, ((Long) replayed.get(i)) == 1));
        }
        return published;
    }

    /** The publish script's KEYS and ARGV (layout: {@link #PUBLISH}). */
    private record ScriptCall(List<String> keys, List<String> args) {
    }

    /** Built in one place, so a batch can be split per hash slot into calls of the same layout. */
    private ScriptCall publishCall(RateLimit limit, List<Publication> publications) {
        List<String> keys = new ArrayList<>(2 * publications.size() + 1);
        List<String> args = new ArrayList<>(2 * publications.size() + 4);
        args.add(String.valueOf(historySize));
        if (limit == null) {
            args.addAll(List.of("0", "0"));
        } else {
            keys.add(RedisKeys.rate(limit.caller()));
            args.addAll(List.of(String.valueOf(limit.perSecond()), String.valueOf(limit.burst())));
        }
        args.add(String.valueOf(idempotencyTtl.toMillis()));
        for (Publication publication : publications) {
            keys.add(RedisKeys.stream(publication.stream()));
            args.add(publication.payload().json());
            args.add(publication.idempotencyKey() == null ? "" : publication.fingerprint());
        }
        for (Publication publication : publications) {
            if (publication.idempotencyKey() != null) {
                keys.add(RedisKeys.idempotency(publication.stream(), publication.idempotencyKey()));
            }
        }
        return new ScriptCall(keys, args);
    }

    /**
     * Runs the publish script, which must not be run twice, telling apart the two ways it can fail: before a
     * connection was had (connecting failed, none free in the pool, the borrow-time PING unanswered) nothing was
     * sent, and {@link BrokerUnavailableException} says retrying is safe. Once the script was written, a failure (a
     * read that timed out, a connection that broke while waiting) leaves its outcome open: a paused Redis runs it
     * when it resumes, a killed one may have appended it to its AOF before dying: {@link PublishOutcomeUnknownException}.
     * Decided by where the failure happened, not by the wording of Jedis' messages. When replicas must confirm
     * ({@link ReplicaWait}), WAIT runs on the same connection (it waits for that connection's writes); fewer
     * confirmations in time are an unknown outcome too: the primary holds the publish, a failover may lose it.
     */
    private List<?> publishOnce(RateLimit limit, ScriptCall call) {
        Connection connection;
        try {
            connection = pool.getPool().getResource();
        } catch (JedisException e) {
            throw unavailable(e);
        }
        try (connection) {
            List<?> reply;
            try {
                reply = (List<?>) connection.executeCommand(COMMANDS.evalsha(PUBLISH.sha(), call.keys(), call.args()));
            } catch (JedisNoScriptException e) {
                reply = (List<?>) connection.executeCommand(COMMANDS.eval(PUBLISH.source(), call.keys(), call.args()));
            }
            // refused: nothing published, nothing to WAIT for
            if ("limited".equals(reply.get(0))) {
                throw new RateLimitedException(limit, Duration.ofMillis((Long) reply.get(1)));
            }
            if ("conflict".equals(reply.get(0))) {
                throw new IdempotencyConflictException(Math.toIntExact((Long) reply.get(1) - 1), idempotencyTtl);
            }
            if (replicaWait.isRequired()) {
                long confirmed = connection.executeCommand(COMMANDS.waitReplicas(replicaWait.replicas(), replicaWait.timeout().toMillis()));
                if (confirmed < replicaWait.replicas()) {
                    throw new PublishOutcomeUnknownException(confirmed + " of the " + replicaWait.replicas()
                            + " Redis replicas required (herald.redis.wait-replicas) confirmed the publish within "
                            + replicaWait.timeout().toMillis() + " ms", null);
                }
            }
            return reply;
        } catch (JedisException e) {
            throw new PublishOutcomeUnknownException("Redis did not confirm the publish: " + e.getMessage(), e);
        }
    }

    @Override
    public List<Notification> history(Stream stream, NotificationId after, int limit) {
        try {
            String key = RedisKeys.stream(stream);
            if (after == null) {
                List<Notification> oldestFirst = new ArrayList<>(toNotifications(stream, pool.xrevrange(key, "+", "-", limit)));
                Collections.reverse(oldestFirst);
                return oldestFirst;
            }
            return toNotifications(stream, pool.xrange(key, "(" + after, "+", limit));
        } catch (JedisException e) {
            throw unavailable(e);
        }
    }

    private static List<Notification> toNotifications(Stream stream, List<StreamEntry> entries) {
        return entries.stream()
                .map(e -> Notification.of(stream, NotificationId.parse(e.getID().toString()), e.getFields().get(ENTRY_FIELD)))
                .toList();
    }

    @Override
    public Replay replay(Stream stream, NotificationId after) {
        List<?> reply = (List<?>) call(REPLAY, List.of(RedisKeys.stream(stream)),
                List.of(after == null ? "" : after.toString()));
        List<Notification> entries = new ArrayList<>(reply.size() / 2);
        for (int i = 2; i < reply.size(); i += 2) {
            entries.add(Notification.of(stream, NotificationId.parse((String) reply.get(i)), (String) reply.get(i + 1)));
        }
        return new Replay(NotificationId.parse((String) reply.get(0)), NotificationId.parse((String) reply.get(1)), entries);
    }

    /** Runs a script by its SHA, loading it first when Redis does not know it (a fresh or restarted Redis). */
    private Object call(Script script, List<String> keys, List<String> args) {
        try {
            try {
                return pool.evalsha(script.sha(), keys, args);
            } catch (JedisNoScriptException e) {
                return pool.eval(script.source(), keys, args);
            }
        } catch (JedisException e) {
            throw unavailable(e);
        }
    }

    private static BrokerUnavailableException unavailable(JedisException e) {
        return new BrokerUnavailableException("Redis is unreachable: " + e.getMessage(), e);
    }

    @Override
    public void start(Listener listener) {
        subscriber.start(listener);
    }

    @Override
    public boolean isAlive() {
        return subscriber.isAlive();
    }

    @Override
    public boolean isReady() {
        if (!subscriber.isSubscribed()) {
            return false;
        }
        try {
            return "PONG".equals(pool.ping());
        } catch (JedisException e) {
            return false;
        }
    }

    @Override
    public void close() {
        subscriber.close();
        clients.close();
    }

    private record Script(String source, String sha) {
        Script(String source) {
            this(source, sha1(source));
        }

        private static String sha1(String text) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(digest);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
