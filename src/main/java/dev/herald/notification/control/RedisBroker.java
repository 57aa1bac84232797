package dev.herald.notification.control;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.util.JedisURIHelper;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;

/**
 * The multi-node engine. Each stream is a Redis Stream ({@code herald:stream:<name>}, trimmed to exactly
 * the history size) and a pub/sub channel ({@code herald:live:<name>}); one Lua script appends and
 * publishes, so history and live agree on the id and on the order. One subscriber connection per node
 * pattern-subscribes to every channel and reconnects with backoff when it loses Redis.
 */
final class RedisBroker implements Broker {

    private static final System.Logger LOG = System.getLogger(RedisBroker.class.getName());
    private static final String KEY_PREFIX = "herald:stream:";
    private static final String CHANNEL_PREFIX = "herald:live:";
    private static final String ENTRY_FIELD = "p";
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final Duration PING_INTERVAL = Duration.ofSeconds(1);
    private static final Duration SILENCE_LIMIT = Duration.ofSeconds(3);

    /**
     * Appends, trims and publishes a list of notifications as one step: {@code <id> <payload>} on each one's
     * channel, the ids returned in order. KEYS[i] is item i's stream, ARGV[i + 1] its payload, ARGV[1] the
     * history size. Trimming with XDEL rather than XADD MAXLEN because only XDEL records
     * {@code max-deleted-entry-id}, which is how a resume point that history no longer covers is recognised.
     */
    private static final Script PUBLISH = new Script("""
            local size, ids, streams = tonumber(ARGV[1]), {}, {}
            for i, key in ipairs(KEYS) do
              ids[i] = redis.call('XADD', key, '*', 'p', ARGV[i + 1])
              streams[key] = true
            end
            for key in pairs(streams) do
              local excess = redis.call('XLEN', key) - size
              if excess > 0 then
                for _, entry in ipairs(redis.call('XRANGE', key, '-', '+', 'COUNT', excess)) do
                  redis.call('XDEL', key, entry[1])
                end
              end
            end
            for i, key in ipairs(KEYS) do
              redis.call('PUBLISH', '%s' .. string.sub(key, %d), ids[i] .. ' ' .. ARGV[i + 1])
            end
            return ids""".formatted(CHANNEL_PREFIX, KEY_PREFIX.length() + 1));

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

    /** A token bucket per caller, on Redis' clock: {@code t} tokens at time {@code ts}; takes ARGV[3], returns ms to wait. */
    private static final Script TAKE_PERMIT = new Script("""
            local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
            local time = redis.call('TIME')
            local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
            local state = redis.call('HMGET', KEYS[1], 't', 'ts')
            local tokens = math.min(burst, (tonumber(state[1]) or burst) + math.max(0, now - (tonumber(state[2]) or now)) * rate)
            local permits, wait = tonumber(ARGV[3]), 0
            if tokens >= permits then tokens = tokens - permits else wait = math.ceil((permits - tokens) / rate * 1000) end
            redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(now))
            redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
            return wait""");

    private final int historySize;
    private final Executor executor;
    private final HostAndPort address;
    private final JedisClientConfig clientConfig;
    private final JedisPooled pool;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Subscription subscription;
    private volatile boolean subscriberRunning;

    /**
     * @param uri           publishing and reading: {@code redis://[user:password@]host:port[/db]}, {@code rediss://} for TLS
     * @param subscriberUri the subscriber's connection, possibly another Redis user with only pub/sub rights
     * @param tls           the socket factory for {@code rediss://} (a custom trust store), or null for the JVM's default
     */
    RedisBroker(URI uri, URI subscriberUri, SSLSocketFactory tls, int historySize, Executor executor) {
        this.historySize = historySize;
        this.executor = executor;
        this.address = JedisURIHelper.getHostAndPort(checked(subscriberUri));
        this.clientConfig = clientConfig(subscriberUri, tls, "herald-subscriber");
        GenericObjectPoolConfig<Connection> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(64);
        poolConfig.setMaxIdle(64);
        poolConfig.setMaxWait(Duration.ofSeconds(2));
        // A connection left from before a Redis restart fails only once a command was written to it, and then
        // nobody can tell whether that command ran (a 504, not a 503): PING it when it is taken instead.
        poolConfig.setTestOnBorrow(true);
        this.pool = new JedisPooled(JedisURIHelper.getHostAndPort(checked(uri)), clientConfig(uri, tls, "herald"), poolConfig);
    }

    RedisBroker(URI uri, int historySize, Executor executor) {
        this(uri, uri, null, historySize, executor);
    }

    /** A TLS socket factory trusting the certificates in a trust store (PKCS12 or JKS) instead of the JVM's. */
    static SSLSocketFactory trusting(Path truststore, char[] password) {
        try (InputStream in = Files.newInputStream(truststore)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(in, password);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("herald.redis.truststore cannot be used: " + e.getMessage(), e);
        }
    }

    private static URI checked(URI uri) {
        if (!JedisURIHelper.isValid(uri)) {
            throw new IllegalArgumentException("a Redis URI looks like redis://[user:password@]host:port[/db] or rediss://…");
        }
        return uri;
    }

    private static JedisClientConfig clientConfig(URI uri, SSLSocketFactory tls, String clientName) {
        DefaultJedisClientConfig.Builder builder = DefaultJedisClientConfig.builder()
                .user(JedisURIHelper.getUser(uri))
                .password(JedisURIHelper.getPassword(uri))
                .database(JedisURIHelper.getDBIndex(uri))
                .ssl(JedisURIHelper.isRedisSSLScheme(uri))
                .connectionTimeoutMillis(2000)
                .socketTimeoutMillis(2000)
                .clientName(clientName);
        if (tls != null) {
            builder.sslSocketFactory(tls);
        }
        return builder.build();
    }

    @Override
    public List<Notification> publish(List<Publication> publications) {
        List<String> keys = new ArrayList<>(publications.size());
        List<String> args = new ArrayList<>(publications.size() + 1);
        args.add(String.valueOf(historySize));
        for (Publication publication : publications) {
            keys.add(KEY_PREFIX + publication.stream().name());
            args.add(publication.payload().json());
        }
        List<?> ids;
        try {
            ids = (List<?>) call(PUBLISH, keys, args);
        } catch (BrokerUnavailableException e) {
            if (e.getCause() instanceof JedisException cause && mayHaveReachedRedis(cause)) {
                throw new PublishOutcomeUnknownException("Redis did not confirm the publish: " + cause.getMessage(), cause);
            }
            throw e;
        }
        List<Notification> published = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            Publication publication = publications.get(i);
            published.add(Notification.of(publication.stream(), NotificationId.parse((String) ids.get(i)), publication.payload().json()));
        }
        return published;
    }

    /**
     * False only when no connection was had at all (connecting failed, or none was free in the pool): then the
     * script was never sent. A read that timed out or a connection that broke while waiting for the answer
     * may have been executed all the same: a paused Redis runs the script when it resumes, a killed one may
     * have appended it to its AOF before dying.
     */
    private static boolean mayHaveReachedRedis(JedisException e) {
        String message = String.valueOf(e.getMessage());
        return !(message.startsWith("Failed to connect") || message.startsWith("Could not get a resource from the pool"));
    }

    @Override
    public List<Notification> history(Stream stream, NotificationId after, int limit) {
        try {
            String key = KEY_PREFIX + stream.name();
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
        List<?> reply = (List<?>) call(REPLAY, List.of(KEY_PREFIX + stream.name()),
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
    public Duration takePermits(String caller, int permits, int perSecond, int burst) {
        long waitMillis = (Long) call(TAKE_PERMIT, List.of("herald:rate:" + caller),
                List.of(String.valueOf(perSecond), String.valueOf(burst), String.valueOf(permits)));
        return Duration.ofMillis(waitMillis);
    }

    @Override
    public void start(Listener listener) {
        subscriberRunning = true;
        executor.execute(() -> {
            try {
                subscribeUntilClosed(listener);
            } finally {
                subscriberRunning = false;
            }
        });
        executor.execute(this::watchUntilClosed);
    }

    @Override
    public boolean isAlive() {
        return subscriberRunning || stopped.getCount() == 0;
    }

    /** The subscriber loop: one connection at a time, reconnecting with capped exponential backoff. */
    private void subscribeUntilClosed(Listener listener) {
        Duration backoff = Duration.ofMillis(100);
        while (stopped.getCount() > 0) {
            Subscription current = null;
            try (Jedis jedis = new Jedis(address, clientConfig)) {
                current = new Subscription(listener, jedis);
                subscription = current;
                try {
                    if (stopped.getCount() == 0) {
                        return;
                    }
                    jedis.psubscribe(current, CHANNEL_PREFIX + "*");
                } finally {
                    subscription = null;
                }
                backoff = afterSubscription(current, backoff);
            } catch (JedisException e) {
                backoff = afterSubscription(current, backoff);
                LOG.log(Level.WARNING, "Redis subscriber lost its connection ({0}); reconnecting in {1} ms",
                        e.getMessage(), backoff.toMillis());
            } catch (RuntimeException e) {
                backoff = afterSubscription(current, backoff);
                LOG.log(Level.ERROR, "Redis subscriber failed; reconnecting in " + backoff.toMillis() + " ms", e);
            }
            try {
                if (stopped.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    /**
     * The backoff starts over once a connection had subscribed: only consecutive failures to subscribe back
     * off further. (A connection that subscribed and was later lost ends with an exception out of psubscribe;
     * resetting only after a clean return left every later blip waiting the full 5 s.)
     */
    private static Duration afterSubscription(Subscription current, Duration backoff) {
        return current != null && current.wasSubscribed ? Duration.ofMillis(100) : backoff;
    }

    /**
     * A subscribed connection blocks in a read with no timeout, so a Redis that stops answering while
     * the TCP connection stays up (paused, half-open) would never be noticed. Every second this pings
     * the subscription; a connection silent for {@link #SILENCE_LIMIT} is dropped, which sends the
     * subscriber loop into its reconnect-and-catch-up path.
     */
    private void watchUntilClosed() {
        try {
            while (!stopped.await(PING_INTERVAL.toMillis(), TimeUnit.MILLISECONDS)) {
                Subscription current = subscription;
                if (current == null) {
                    continue;
                }
                if (current.silentFor().compareTo(SILENCE_LIMIT) > 0) {
                    LOG.log(Level.WARNING, "Redis subscriber heard nothing for {0} ms; dropping the connection",
                            current.silentFor().toMillis());
                    current.drop();
                } else if (current.isSubscribed()) {
                    current.pingQuietly();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One connection's subscription; its callbacks run on the subscriber thread and must stay trivial. */
    private static final class Subscription extends JedisPubSub {
        private final Listener listener;
        private final Jedis jedis;
        private volatile long lastHeard = System.nanoTime();
        volatile boolean wasSubscribed;

        Subscription(Listener listener, Jedis jedis) {
            this.listener = listener;
            this.jedis = jedis;
        }

        Duration silentFor() {
            return Duration.ofNanos(System.nanoTime() - lastHeard);
        }

        void pingQuietly() {
            try {
                ping();
            } catch (JedisException e) {
                LOG.log(Level.DEBUG, "Ping on the subscriber connection failed", e);
            }
        }

        /** Closes the socket under the blocked subscriber thread, which then reconnects. */
        void drop() {
            try {
                jedis.disconnect();
            } catch (JedisException e) {
                LOG.log(Level.DEBUG, "Dropping the subscriber connection failed", e);
            }
        }

        @Override
        public void onPSubscribe(String pattern, int subscribedChannels) {
            lastHeard = System.nanoTime();
            wasSubscribed = true;
            LOG.log(Level.INFO, "Redis subscriber subscribed to {0}", pattern);
            listener.subscribed();
        }

        @Override
        public void onPong(String pattern) {
            lastHeard = System.nanoTime();
        }

        @Override
        public void onPMessage(String pattern, String channel, String message) {
            lastHeard = System.nanoTime();
            int space = message.indexOf(' ');
            try {
                Stream stream = Stream.named(channel.substring(CHANNEL_PREFIX.length()));
                listener.deliver(Notification.of(stream, NotificationId.parse(message.substring(0, space)), message.substring(space + 1)));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Ignored a malformed message on " + channel, e);
            }
        }
    }

    @Override
    public boolean isReady() {
        Subscription current = subscription;
        if (current == null || !current.isSubscribed() || current.silentFor().compareTo(SILENCE_LIMIT) > 0) {
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
        stopped.countDown();
        Subscription current = subscription;
        if (current != null && current.isSubscribed()) {
            try {
                current.punsubscribe();
            } catch (JedisConnectionException e) {
                LOG.log(Level.DEBUG, "Subscriber connection already gone", e);
            }
        }
        pool.close();
    }

    private record Script(String source, String sha) {
        Script(String source) {
            this(source, sha1(source));
        }

        private static String sha1(String text) {
            try {
                byte[] digest = java.security.MessageDigest.getInstance("SHA-1")
                        .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return java.util.HexFormat.of().formatHex(digest);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
