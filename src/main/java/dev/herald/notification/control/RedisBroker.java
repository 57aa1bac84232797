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
import java.util.UUID;
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
 * {@link RedisSubscriber}; the connections from {@link RedisClients}; the {@link Canary} checks that what this node
 * publishes still reaches its subscriber.
 */
final class RedisBroker implements Broker {

    private static final String ENTRY_FIELD = "p";

    /**
     * Takes the caller's permits, then appends, trims and publishes a list of notifications as one step:
     * {@code <id> <payload>} on each one's channel, the ids returned in order. ARGV[1] is the history size,
     * ARGV[2] and ARGV[3] the rate limit's refill per second and burst (0: no limit, and then no bucket key).
     * With a limit, KEYS[1] is the caller's token bucket ({@code t} tokens at time {@code ts}, on Redis' clock)
     * and the reply is {@code {<ms to wait>}} when it holds too few permits, nothing published. The streams are
     * the remaining KEYS, each one's payload the ARGV after the three settings. Trimming with XDEL rather than
     * XADD MAXLEN because only XDEL records {@code max-deleted-entry-id}, which is how a resume point that history
     * no longer covers is recognised.
     */
    private static final Script PUBLISH = new Script("""
            local size, rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            local first = 1
            if rate > 0 then
              first = 2
              local permits = #KEYS - 1
              local time = redis.call('TIME')
              local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
              local state = redis.call('HMGET', KEYS[1], 't', 'ts')
              local tokens = math.min(burst, (tonumber(state[1]) or burst) + math.max(0, now - (tonumber(state[2]) or now)) * rate)
              if tokens < permits then return {math.ceil((permits - tokens) / rate * 1000)} end
              redis.call('HSET', KEYS[1], 't', tostring(tokens - permits), 'ts', tostring(now))
              redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
            end
            local ids, streams = {}, {}
            for i = first, #KEYS do
              ids[#ids + 1] = redis.call('XADD', KEYS[i], '*', 'p', ARGV[i - first + 4])
              streams[KEYS[i]] = true
            end
            for key in pairs(streams) do
              local excess = redis.call('XLEN', key) - size
              if excess > 0 then
                for _, entry in ipairs(redis.call('XRANGE', key, '-', '+', 'COUNT', excess)) do
                  redis.call('XDEL', key, entry[1])
                end
              end
            end
            for i = first, #KEYS do
              redis.call('PUBLISH', '%s' .. string.sub(KEYS[i], %d), ids[i - first + 1] .. ' ' .. ARGV[i - first + 4])
            end
            return ids""".formatted(RedisKeys.CHANNEL_PREFIX, RedisKeys.STREAM_PREFIX.length() + 1));

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
    private final RedisClients clients;
    private final JedisPooled pool;
    private final RedisSubscriber subscriber;
    private final Canary canary;
    private final Executor longRunning;

    /** @param longRunning runs the subscriber loop, its watchdog and the canary, each for the life of the application */
    RedisBroker(RedisClients clients, int historySize, Executor longRunning) {
        this(clients, historySize, ReplicaWait.NONE, longRunning);
    }

    /** @param replicaWait how many replicas must confirm each publish before it counts as stored */
    RedisBroker(RedisClients clients, int historySize, ReplicaWait replicaWait, Executor longRunning) {
        this(clients, historySize, replicaWait, Canary.Settings.DEFAULT, new Telemetry.None(), longRunning);
    }

    /**
     * @param probes    how often the canary probes live delivery, and how many misses in a row trip it
     * @param telemetry counts the canary's misses
     */
    RedisBroker(RedisClients clients, int historySize, ReplicaWait replicaWait, Canary.Settings probes, Telemetry telemetry,
            Executor longRunning) {
        this.historySize = historySize;
        this.replicaWait = replicaWait;
        this.clients = clients;
        this.pool = clients.pool();
        this.longRunning = longRunning;
        // a node id of its own per broker: a probe channel no other node (or earlier run of this one) publishes on
        String probeChannel = RedisKeys.probeChannel(UUID.randomUUID().toString());
        // a plain PUBLISH on a pooled connection: wherever publishes go, past the rate limit and the history
        this.canary = new Canary(probes, message -> pool.publish(probeChannel, message), this::reconnectSubscriber,
                telemetry, System::nanoTime);
        this.subscriber = new RedisSubscriber(clients::subscriberConnection, probeChannel, canary, longRunning);
        clients.trustRecentConnectionsWhile(subscriber::isSubscribed);
    }

    private void reconnectSubscriber() {
        subscriber.reconnect();
    }

    @Override
    public List<Notification> publish(RateLimit limit, List<Publication> publications) {
        List<String> keys = new ArrayList<>(publications.size() + 1);
        List<String> args = new ArrayList<>(publications.size() + 3);
        args.add(String.valueOf(historySize));
        if (limit == null) {
            args.addAll(List.of("0", "0"));
        } else {
            keys.add(RedisKeys.rate(limit.caller()));
            args.addAll(List.of(String.valueOf(limit.perSecond()), String.valueOf(limit.burst())));
        }
        for (Publication publication : publications) {
            keys.add(RedisKeys.stream(publication.stream()));
            args.add(publication.payload().json());
        }
        List<?> ids = publishOnce(limit, keys, args);
        List<Notification> published = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            Publication publication = publications.get(i);
            published.add(Notification.of(publication.stream(), NotificationId.parse((String) ids.get(i)), publication.payload().json()));
        }
        return published;
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
    private List<?> publishOnce(RateLimit limit, List<String> keys, List<String> args) {
        Connection connection;
        try {
            connection = pool.getPool().getResource();
        } catch (JedisException e) {
            throw unavailable(e);
        }
        try (connection) {
            List<?> reply;
            try {
                reply = (List<?>) connection.executeCommand(COMMANDS.evalsha(PUBLISH.sha(), keys, args));
            } catch (JedisNoScriptException e) {
                reply = (List<?>) connection.executeCommand(COMMANDS.eval(PUBLISH.source(), keys, args));
            }
            if (!reply.isEmpty() && reply.get(0) instanceof Long waitMillis) {
                throw new RateLimitedException(limit, Duration.ofMillis(waitMillis)); // nothing published: nothing to WAIT for
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
        longRunning.execute(canary::runUntilClosed);
    }

    @Override
    public boolean isAlive() {
        return subscriber.isAlive();
    }

    @Override
    public boolean isReady() {
        if (!subscriber.isSubscribed() || !canary.isHealthy()) {
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
        canary.close();
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
