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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executor;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.CommandObjects;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisAskDataException;
import redis.clients.jedis.exceptions.JedisClusterException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.exceptions.JedisRedirectionException;
import redis.clients.jedis.util.JedisClusterCRC16;
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
     * Lua: takes {@code permits} from the token bucket at {@code key} ({@code t} tokens at time {@code ts}, on Redis'
     * clock), refilled at {@code rate} per second up to {@code burst}; returns the ms to wait when it holds too few
     * (nothing taken), else nil.
     */
    private static final String TAKE_FUNCTION = """
            local function take(key, permits, rate, burst)
              local time = redis.call('TIME')
              local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
              local state = redis.call('HMGET', key, 't', 'ts')
              local tokens = math.min(burst, (tonumber(state[1]) or burst) + math.max(0, now - (tonumber(state[2]) or now)) * rate)
              if tokens < permits then return math.ceil((permits - tokens) / rate * 1000) end
              redis.call('HSET', key, 't', tostring(tokens - permits), 'ts', tostring(now))
              redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
              return nil
            end
            """;

    /**
     * Takes the caller's permits, then appends, trims and publishes a list of notifications as one step:
     * {@code <id> <payload>} on each one's channel, the ids returned in order. ARGV[1] is the history size,
     * ARGV[2] and ARGV[3] the rate limit's refill per second and burst (0: no limit, and then no bucket key).
     * With a limit, KEYS[1] is the caller's token bucket and the reply is {@code {<ms to wait>}} when it holds
     * too few permits, nothing published. The streams are the remaining KEYS, each one's payload the ARGV after
     * the three settings. Trimming with XDEL rather than XADD MAXLEN because only XDEL records
     * {@code max-deleted-entry-id}, which is how a resume point that history no longer covers is recognised.
     * The publish command ({@code PUBLISH} or {@code SPUBLISH}) is filled in per mode.
     */
    private static final String PUBLISH_TEMPLATE = TAKE_FUNCTION + """
            local size, rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            local first = 1
            if rate > 0 then
              first = 2
              local wait = take(KEYS[1], #KEYS - 1, rate, burst)
              if wait then return {wait} end
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
              redis.call('%s', '%s' .. string.sub(KEYS[i], %d), ids[i - first + 1] .. ' ' .. ARGV[i - first + 4])
            end
            return ids""";

    /** One Redis or Sentinel: every node's pattern subscription hears {@code PUBLISH}. */
    private static final Script PUBLISH = publishScript("PUBLISH");
    /** Cluster: {@code SPUBLISH} reaches only the shard that serves the stream's slot, and the nodes subscribed there. */
    private static final Script SPUBLISH = publishScript("SPUBLISH");

    /**
     * The rate limit alone, for Cluster, where the caller's bucket has a slot of its own: KEYS[1] the bucket, ARGV the
     * permits, rate and burst; the reply as the publish script's when refused, else empty.
     */
    private static final Script TAKE_PERMITS = new Script(TAKE_FUNCTION + """
            local wait = take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
            if wait then return {wait} end
            return {}""");

    private static Script publishScript(String command) {
        return new Script(PUBLISH_TEMPLATE.formatted(command, RedisKeys.CHANNEL_PREFIX, RedisKeys.STREAM_PREFIX.length() + 1));
    }

    /**
     * The stream's last issued and newest trimmed ids, whether it holds the entry ARGV[1] ('1' or '0'), then (id,
     * payload) pairs after ARGV[1] if given.
     */
    private static final Script REPLAY = new Script("""
            if redis.call('EXISTS', KEYS[1]) == 0 then return {'0-0', '0-0', '0'} end
            local info = redis.call('XINFO', 'STREAM', KEYS[1])
            local last, deleted = '0-0', '0-0'
            for i = 1, #info, 2 do
              if info[i] == 'last-generated-id' then last = info[i + 1] end
              if info[i] == 'max-deleted-entry-id' then deleted = info[i + 1] end
            end
            local result = {last, deleted, '0'}
            if ARGV[1] ~= '' then
              for _, entry in ipairs(redis.call('XRANGE', KEYS[1], ARGV[1], '+')) do
                if entry[1] == ARGV[1] then
                  result[3] = '1'
                else
                  result[#result + 1] = entry[1]
                  result[#result + 1] = entry[2][2]
                end
              end
            end
            return result""");

    private static final CommandObjects COMMANDS = new CommandObjects();
    /** Tries of a publish that Redis refused to run (redirections, a migrating slot) before it is answered 503. */
    private static final int MAX_ATTEMPTS = 5;
    private static final Duration RETRY_PAUSE = Duration.ofMillis(50);

    private final int historySize;
    private final ReplicaWait replicaWait;
    private final RedisClients clients;
    private final UnifiedJedis commands;
    private final LiveFeed feed;
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
        this.commands = clients.commands();
        this.longRunning = longRunning;
        // a node id of its own per broker: a probe channel no other node (or earlier run of this one) publishes on
        String probeChannel = RedisKeys.probeChannel(UUID.randomUUID().toString());
        // a plain (S)PUBLISH on a pooled connection: wherever publishes go, past the rate limit and the history
        this.canary = new Canary(probes, message -> clients.publish(probeChannel, message), this::reconnectSubscriber,
                telemetry, System::nanoTime);
        this.feed = clients.isCluster()
                ? new ShardedSubscriber(clients, probeChannel, canary, longRunning)
                : new RedisSubscriber(clients::subscriberConnection, probeChannel, canary, longRunning);
        clients.trustRecentConnectionsWhile(feed::isSubscribed);
    }

    private void reconnectSubscriber() {
        feed.reconnect();
    }

    @Override
    public List<Notification> publish(RateLimit limit, List<Publication> publications) {
        if (!clients.isCluster()) {
            return publishInOneScript(limit, publications, PUBLISH);
        }
        if (limit != null) {
            takePermits(limit, publications.size());
        }
        Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
        for (int i = 0; i < publications.size(); i++) {
            bySlot.computeIfAbsent(JedisClusterCRC16.getSlot(RedisKeys.stream(publications.get(i).stream())), slot -> new ArrayList<>()).add(i);
        }
        Notification[] published = new Notification[publications.size()];
        boolean stored = false;
        for (List<Integer> indexes : bySlot.values()) {
            List<Notification> sent;
            try {
                sent = publishInOneScript(null, indexes.stream().map(publications::get).toList(), SPUBLISH);
            } catch (BrokerUnavailableException e) {
                if (!stored) {
                    throw e;
                }
                throw new PublishOutcomeUnknownException("part of the batch was stored, the rest not: " + e.getMessage(), e);
            }
            stored = true;
            for (int i = 0; i < indexes.size(); i++) {
                published[indexes.get(i)] = sent.get(i);
            }
        }
        return List.of(published);
    }

    /** Cluster: the caller's permits for the whole call, before any of it is published (its bucket is on its own slot). */
    private void takePermits(RateLimit limit, int permits) {
        List<?> reply = (List<?>) call(TAKE_PERMITS, List.of(RedisKeys.rate(limit.caller())),
                List.of(String.valueOf(permits), String.valueOf(limit.perSecond()), String.valueOf(limit.burst())));
        if (!reply.isEmpty()) {
            throw new RateLimitedException(limit, Duration.ofMillis((Long) reply.get(0)));
        }
    }

    /** One run of {@code script} for publications whose streams all share one slot (any, off Cluster). */
    private List<Notification> publishInOneScript(RateLimit limit, List<Publication> publications, Script script) {
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
        List<?> ids = publishOnce(limit, script, keys, args);
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
     * Decided by where the failure happened, not by the wording of Jedis' messages, with one exception: the errors
     * with which Redis refuses to run a command at all ({@link #refusedUnrun}) are retried here (a Cluster redirection
     * or a slot in migration) or answered as unavailable. When replicas must confirm ({@link ReplicaWait}), WAIT runs
     * on the same connection (it waits for that connection's writes); fewer confirmations in time are an unknown
     * outcome too: the primary holds the publish, a failover may lose it.
     */
    private List<?> publishOnce(RateLimit limit, Script script, List<String> keys, List<String> args) {
        HostAndPort askedTo = null;
        for (int attempt = 1; ; attempt++) {
            Connection connection = connectionFor(keys.get(keys.size() - 1), askedTo);
            try (connection) {
                List<?> reply = (List<?>) evaluate(connection, script, keys, args, askedTo != null);
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
            } catch (JedisDataException e) {
                if (!refusedUnrun(e)) {
                    throw new PublishOutcomeUnknownException("Redis did not confirm the publish: " + e.getMessage(), e);
                }
                if (attempt == MAX_ATTEMPTS) {
                    throw new BrokerUnavailableException("Redis refused the publish: " + e.getMessage(), e);
                }
                askedTo = e instanceof JedisAskDataException ask ? ask.getTargetNode() : null;
                if (askedTo == null) {
                    clients.refreshSlots();
                    pauseBeforeRetry(attempt);
                }
            } catch (JedisException e) {
                throw new PublishOutcomeUnknownException("Redis did not confirm the publish: " + e.getMessage(), e);
            }
        }
    }

    /** A pooled connection for {@code key}, or to the node an {@code ASK} named; nothing of the publish sent yet. */
    private Connection connectionFor(String key, HostAndPort askedTo) {
        try {
            return askedTo == null ? clients.connectionFor(key) : clients.connectionTo(askedTo);
        } catch (JedisException e) {
            throw unavailable(e);
        }
    }

    /** Runs the script by its SHA, or by its source when Redis does not know it; each preceded by ASKING when asked to. */
    private static Object evaluate(Connection connection, Script script, List<String> keys, List<String> args, boolean asking) {
        try {
            return run(connection, COMMANDS.evalsha(script.sha(), keys, args), asking);
        } catch (JedisNoScriptException e) {
            return run(connection, COMMANDS.eval(script.source(), keys, args), asking);
        }
    }

    /** ASKING admits only the next command on a slot being imported, so it goes before each try. */
    private static Object run(Connection connection, CommandObject<Object> command, boolean asking) {
        if (asking) {
            try {
                connection.sendCommand(Protocol.Command.ASKING);
                connection.getStatusCodeReply();
            } catch (JedisException e) {
                throw unavailable(e); // the script was not sent
            }
        }
        return connection.executeCommand(command);
    }

    /**
     * Errors with which Redis answers instead of running a command: a Cluster redirection ({@code MOVED}, {@code ASK}),
     * a slot half migrated ({@code TRYAGAIN}), a Cluster without quorum ({@code CLUSTERDOWN}), a primary demoted to
     * replica that the client has not yet left ({@code READONLY}), a Redis loading its data ({@code LOADING}).
     */
    private static boolean refusedUnrun(JedisDataException e) {
        String message = String.valueOf(e.getMessage());
        return e instanceof JedisRedirectionException || e instanceof JedisClusterException
                || message.startsWith("TRYAGAIN") || message.startsWith("READONLY") || message.startsWith("LOADING");
    }

    private static void pauseBeforeRetry(int attempt) {
        try {
            Thread.sleep(RETRY_PAUSE.toMillis() * attempt); // a migration step or an election: let it finish
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerUnavailableException("interrupted while Redis was refusing the publish", e);
        }
    }

    @Override
    public List<Notification> history(Stream stream, NotificationId after, int limit) {
        try {
            String key = RedisKeys.stream(stream);
            if (after == null) {
                List<Notification> oldestFirst = new ArrayList<>(toNotifications(stream, commands.xrevrange(key, "+", "-", limit)));
                Collections.reverse(oldestFirst);
                return oldestFirst;
            }
            return toNotifications(stream, commands.xrange(key, "(" + after, "+", limit));
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
        for (int i = 3; i < reply.size(); i += 2) {
            entries.add(Notification.of(stream, NotificationId.parse((String) reply.get(i)), (String) reply.get(i + 1)));
        }
        return new Replay(NotificationId.parse((String) reply.get(0)), NotificationId.parse((String) reply.get(1)), entries,
                "1".equals(reply.get(2)) ? after : null);
    }

    /** Runs a script by its SHA, loading it first when Redis does not know it (a fresh or restarted Redis). */
    private Object call(Script script, List<String> keys, List<String> args) {
        try {
            try {
                return commands.evalsha(script.sha(), keys, args);
            } catch (JedisNoScriptException e) {
                return commands.eval(script.source(), keys, args);
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
        feed.start(listener);
        longRunning.execute(canary::runUntilClosed);
    }

    @Override
    public void follow(Stream stream) {
        feed.follow(stream);
    }

    @Override
    public void unfollow(Stream stream) {
        feed.unfollow(stream);
    }

    @Override
    public boolean isAlive() {
        return feed.isAlive();
    }

    @Override
    public boolean isReady() {
        if (!feed.isSubscribed() || !canary.isHealthy()) {
            return false;
        }
        try {
            return "PONG".equals(commands.ping());
        } catch (JedisException e) {
            return false;
        }
    }

    @Override
    public void close() {
        canary.close();
        feed.close();
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
