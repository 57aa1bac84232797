package dev.herald.notification.control;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The multi-node engine. Each stream is a Redis Stream ({@code herald:stream:{<name>}}, trimmed to exactly
 * the history size) and a pub/sub channel ({@code herald:live:{<name>}}), named by {@link RedisKeys}; one Lua script appends and
 * publishes, so history and live agree on the id and on the order. Live delivery comes from
 * {@link RedisSubscriber}; the connections from {@link RedisClients}; the {@link Canary} checks that what this node
 * publishes still reaches its subscriber.
 */
final class RedisBroker implements Broker {

    private static final String ENTRY_FIELD = "p";
    /** An expiring entry's expiry, in epoch ms ({@link RedisExpiry}). */
    private static final String EXPIRY_FIELD = "e";

    private static final CommandObjects COMMANDS = new CommandObjects();
    /** Tries of a publish that Redis refused to run (redirections, a migrating slot) before it is answered 503. */
    private static final int MAX_ATTEMPTS = 5;
    private static final Duration RETRY_PAUSE = Duration.ofMillis(50);

    private final int historySize;
    private final ReplicaWait replicaWait;
    private final Duration idempotencyTtl;
    private final RedisClients clients;
    private final UnifiedJedis commands;
    private final LiveFeed feed;
    private final Canary canary;
    private final Executor longRunning;
    private final RedisInbox inbox;
    private final RedisExpiry expiry;

    /** @param longRunning runs the subscriber loop, its watchdog and the canary, each for the life of the application */
    RedisBroker(RedisClients clients, int historySize, Executor longRunning) {
        this(clients, historySize, ReplicaWait.NONE, longRunning);
    }

    /** @param replicaWait how many replicas must confirm each publish before it counts as stored */
    RedisBroker(RedisClients clients, int historySize, ReplicaWait replicaWait, Executor longRunning) {
        this(clients, historySize, replicaWait, Broker.DEFAULT_IDEMPOTENCY_TTL, Canary.Settings.DEFAULT, new Telemetry.None(),
                longRunning);
    }

    /**
     * @param idempotencyTtl how long a publisher's idempotency key is remembered
     * @param probes         how often the canary probes live delivery, and how many misses in a row trip it
     * @param telemetry      counts the canary's misses
     */
    RedisBroker(RedisClients clients, int historySize, ReplicaWait replicaWait, Duration idempotencyTtl, Canary.Settings probes,
            Telemetry telemetry, Executor longRunning) {
        this.historySize = historySize;
        this.replicaWait = replicaWait;
        this.idempotencyTtl = idempotencyTtl;
        this.clients = clients;
        this.commands = clients.commands();
        this.longRunning = longRunning;
        this.inbox = new RedisInbox(clients, historySize);
        this.expiry = new RedisExpiry(clients, historySize);
        // a node id of its own per broker: a probe channel no other node (or earlier run of this one) publishes on
        String probeChannel = RedisKeys.probeChannel(UUID.randomUUID().toString());
        // a plain (S)PUBLISH on a pooled connection: wherever publishes go, past the rate limit and the history
        this.canary = new Canary(probes, message -> clients.publish(probeChannel, message), this::reconnectSubscriber,
                telemetry, System::nanoTime);
        LiveMessages messages = new LiveMessages(probeChannel, canary);
        this.feed = clients.isCluster()
                ? new ShardedSubscriber(clients, messages, longRunning)
                : new RedisSubscriber(clients::subscriberConnection, messages, longRunning);
        clients.trustRecentConnectionsWhile(feed::isSubscribed);
    }

    private void reconnectSubscriber() {
        feed.reconnect();
    }

    @Override
    public List<Published> publish(RateLimit limit, List<Publication> publications) {
        expiry.index(publications);
        if (!clients.isCluster()) {
            return publishInOneScript(limit, publications, RedisScripts.PUBLISH);
        }
        int replays = publications.stream().anyMatch(p -> p.idempotencyKey() != null) ? replays(publications) : 0;
        if (limit != null && publications.size() > replays) {
            takePermits(limit, publications.size() - replays);
        }
        Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
        for (int i = 0; i < publications.size(); i++) {
            bySlot.computeIfAbsent(JedisClusterCRC16.getSlot(RedisKeys.stream(publications.get(i).stream())), slot -> new ArrayList<>()).add(i);
        }
        Published[] published = new Published[publications.size()];
        boolean stored = false;
        for (List<Integer> indexes : bySlot.values()) {
            List<Published> sent;
            try {
                sent = publishInOneScript(null, indexes.stream().map(publications::get).toList(), RedisScripts.SPUBLISH);
            } catch (BrokerUnavailableException | IdempotencyConflictException e) {
                if (!stored) {
                    throw e instanceof IdempotencyConflictException conflict
                            ? new IdempotencyConflictException(indexes.get(conflict.index()), idempotencyTtl) : e;
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

    /**
     * Cluster, where the scripts cannot see the caller's bucket or the other slots: reads the idempotency keys first.
     * One recorded with another fingerprint is refused before anything is taken or published, so a 422 still means
     * nothing was published; one recorded with the same (or repeated within the call) is a replay, which takes no
     * permit. Each slot's script checks its keys again: a key recorded in between is still answered right (a replay
     * then took a permit; a conflict after another slot's part was stored is a partly stored batch, a 504).
     */
    private int replays(List<Publication> publications) {
        Map<String, String> seen = new HashMap<>();
        int replays = 0;
        for (int i = 0; i < publications.size(); i++) {
            Publication publication = publications.get(i);
            if (publication.idempotencyKey() == null) {
                continue;
            }
            String key = RedisKeys.idempotency(publication.stream(), publication.idempotencyKey());
            String recorded = seen.get(key);
            if (recorded == null) {
                try {
                    recorded = commands.hget(key, "f");
                } catch (JedisException e) {
                    throw unavailable(e);
                }
            }
            if (recorded != null && !recorded.equals(publication.fingerprint())) {
                throw new IdempotencyConflictException(i, idempotencyTtl);
            }
            replays += recorded != null ? 1 : 0;
            seen.put(key, publication.fingerprint());
        }
        return replays;
    }

    /** Cluster: the caller's permits for the whole call, before any of it is published (its bucket is on its own slot). */
    private void takePermits(RateLimit limit, int permits) {
        List<?> reply = (List<?>) RedisScripts.TAKE_PERMITS.run(commands, List.of(RedisKeys.rate(limit.caller())),
                List.of(String.valueOf(permits), String.valueOf(limit.perSecond()), String.valueOf(limit.burst())));
        if (!reply.isEmpty()) {
            throw new RateLimitedException(limit, Duration.ofMillis((Long) reply.get(0)));
        }
    }

    /** One run of {@code script} for publications whose keys all share one slot (any, off Cluster). */
    private List<Published> publishInOneScript(RateLimit limit, List<Publication> publications, RedisScripts.Script script) {
        List<?> reply = publishOnce(limit, script, publishCall(limit, publications));
        List<?> ids = (List<?>) reply.get(1);
        List<?> replayed = (List<?>) reply.get(2);
        List<Published> published = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            Publication publication = publications.get(i);
            Notification notification = Notification.of(publication.stream(), NotificationId.parse((String) ids.get(i)),
                    publication.payload().json()).expiringAt(publication.expiresAt());
            published.add(new Published(notification, ((Long) replayed.get(i)) == 1));
        }
        return published;
    }

    /** The publish script's KEYS and ARGV (layout: {@link RedisScripts#PUBLISH}). */
    private record ScriptCall(List<String> keys, List<String> args) {
    }

    private ScriptCall publishCall(RateLimit limit, List<Publication> publications) {
        List<String> keys = new ArrayList<>(2 * publications.size() + 1);
        List<String> args = new ArrayList<>(2 * publications.size() + 5);
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
        args.add(expiries(publications));
        StringBuilder users = new StringBuilder(publications.size());
        Set<Stream> inboxes = new LinkedHashSet<>();
        for (Publication publication : publications) {
            users.append(publication.stream().isUser() ? '1' : '0');
            if (publication.stream().isUser() && inboxes.add(publication.stream())) {
                keys.add(RedisKeys.inbox(publication.stream()));
            }
        }
        args.add(users.toString());
        return new ScriptCall(keys, args);
    }

    /** The publish script's expiries argument: empty when none expires (the common case costs one empty string). */
    private static String expiries(List<Publication> publications) {
        if (publications.stream().noneMatch(Publication::expires)) {
            return "";
        }
        StringBuilder expiries = new StringBuilder();
        for (Publication publication : publications) {
            expiries.append(expiries.isEmpty() ? "" : " ").append(publication.expiresAt());
        }
        return expiries.toString();
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
    private List<?> publishOnce(RateLimit limit, RedisScripts.Script script, ScriptCall call) {
        HostAndPort askedTo = null;
        for (int attempt = 1; ; attempt++) {
            Connection connection = connectionFor(call.keys().get(call.keys().size() - 1), askedTo);
            try (connection) {
                List<?> reply = (List<?>) evaluate(connection, script, call.keys(), call.args(), askedTo != null);
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
    private static Object evaluate(Connection connection, RedisScripts.Script script, List<String> keys, List<String> args, boolean asking) {
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
                .map(e -> Notification.of(stream, NotificationId.parse(e.getID().toString()), e.getFields().get(ENTRY_FIELD))
                        .expiringAt(expiresAt(e.getFields().get(EXPIRY_FIELD))))
                .toList();
    }

    @Override
    public Replay replay(Stream stream, NotificationId after) {
        List<?> reply = (List<?>) RedisScripts.REPLAY.run(commands, RedisKeys.replayKeys(stream),
                List.of(after == null ? "" : after.toString()));
        List<Notification> entries = new ArrayList<>(reply.size() / 3);
        for (int i = 3; i < reply.size(); i += 3) {
            entries.add(Notification.of(stream, NotificationId.parse((String) reply.get(i)), (String) reply.get(i + 1))
                    .expiringAt(expiresAt((String) reply.get(i + 2))));
        }
        NotificationId lastGenerated = NotificationId.parse((String) reply.get(0));
        NotificationId trimmed = NotificationId.parse((String) reply.get(1));
        // a resume point neither held nor trimmed may have expired from a group's or the broadcast stream: asked only then
        boolean held = "1".equals(reply.get(2)) || after != null && !stream.isUser() && after.isAfter(trimmed)
                && !after.isAfter(lastGenerated) && expiry.expired(stream, after);
        return new Replay(lastGenerated, trimmed, entries, held ? after : null);
    }

    /** An entry's expiry field: epoch ms, or absent (or {@code 0}) for none. */
    private static long expiresAt(String field) {
        return field == null ? Notification.NEVER : Long.parseLong(field);
    }

    @Override
    public void expireDue(long nowMillis) {
        expiry.expireDue(nowMillis);
    }

    static BrokerUnavailableException unavailable(JedisException e) {
        return new BrokerUnavailableException("Redis is unreachable: " + e.getMessage(), e);
    }

    @Override
    public Inbox inbox() {
        return inbox;
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
}
