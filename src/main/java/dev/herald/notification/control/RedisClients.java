package dev.herald.notification.control;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisSentineled;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.providers.ClusterConnectionProvider;
import redis.clients.jedis.providers.ConnectionProvider;
import redis.clients.jedis.providers.PooledConnectionProvider;
import redis.clients.jedis.providers.SentineledConnectionProvider;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Herald's connections to Redis, built from its URIs ({@link RedisUri}): pooled connections for publishing and
 * reading, and fresh ones for subscribing (possibly as another Redis user, with only pub/sub rights). The same three
 * modes for both: one server; a primary found through Sentinel (Jedis' provider follows {@code +switch-master}); a
 * Cluster (Jedis' provider keeps the slot map). A subscriber connection is never taken from a pool or a cached
 * address: each is made for the primary as known right now, so a reconnect after a failover reaches the new one.
 */
final class RedisClients {

    private static final System.Logger LOG = System.getLogger(RedisClients.class.getName());

    private final RedisUri uri;
    private final UnifiedJedis commands;
    private final ConnectionProvider provider;
    private final PingIfIdle standaloneConnections;
    private final RedisUri subscriberUri;
    private final JedisClientConfig subscriberConfig;
    private final JedisClientConfig sentinelConfig;

    /** For tests and plain {@code redis://} URIs. */
    RedisClients(URI uri, URI subscriberUri, SSLSocketFactory tls) {
        this(RedisUri.parse(uri.toString()), RedisUri.parse(subscriberUri.toString()), tls);
    }

    /**
     * @param uri           publishing and reading
     * @param subscriberUri the subscriber's connections: the same mode as {@code uri}
     * @param tls           the socket factory for {@code rediss…} (a custom trust store), or null for the JVM's default
     */
    RedisClients(RedisUri uri, RedisUri subscriberUri, SSLSocketFactory tls) {
        if (uri.mode() != subscriberUri.mode()) {
            throw new IllegalArgumentException("herald.redis.subscriber-uri must name the same kind of Redis as herald.redis.uri ("
                    + uri.mode().name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
        this.uri = uri;
        this.subscriberUri = subscriberUri;
        this.subscriberConfig = clientConfig(subscriberUri, tls, "herald-subscriber");
        this.sentinelConfig = DefaultJedisClientConfig.builder().ssl(uri.tls()).sslSocketFactory(tls)
                .connectionTimeoutMillis(2000).socketTimeoutMillis(2000).clientName("herald").build();
        JedisClientConfig config = clientConfig(uri, tls, "herald");
        GenericObjectPoolConfig<Connection> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(64);
        poolConfig.setMaxIdle(64);
        poolConfig.setMaxWait(Duration.ofSeconds(2));
        // A connection left from before a Redis restart fails only once a command was written to it, and then
        // nobody can tell whether that command ran (a 504, not a 503): check it when it is taken (see PingIfIdle).
        poolConfig.setTestOnBorrow(true);
        switch (uri.mode()) {
            case STANDALONE -> {
                this.standaloneConnections = new PingIfIdle(uri.nodes().get(0), config);
                PooledConnectionProvider pooled = new PooledConnectionProvider(standaloneConnections, poolConfig);
                this.provider = pooled;
                this.commands = new JedisPooled(pooled);
            }
            case SENTINEL -> {
                // Jedis builds the primary's pool itself: every borrowed connection is PINGed (no PingIfIdle here).
                this.standaloneConnections = null;
                SentineledConnectionProvider sentineled = new SentineledConnectionProvider(uri.masterName(), config, poolConfig,
                        new HashSet<>(uri.nodes()), sentinelConfig);
                this.provider = sentineled;
                this.commands = new JedisSentineled(sentineled);
            }
            case CLUSTER -> {
                this.standaloneConnections = null;
                ClusterConnectionProvider cluster = new ClusterConnectionProvider(new HashSet<>(uri.nodes()), config, poolConfig);
                this.provider = cluster;
                // Reads are safe to retry on another node; publishes never go through here (see RedisBroker.publishOnce).
                this.commands = new JedisCluster(cluster, 5, Duration.ofSeconds(10));
            }
            default -> throw new IllegalStateException(uri.mode().name());
        }
    }

    boolean isCluster() {
        return uri.mode() == RedisUri.Mode.CLUSTER;
    }

    /** Reads and idempotent scripts, routed (and on Cluster retried) by Jedis. */
    UnifiedJedis commands() {
        return commands;
    }

    /**
     * A pooled connection to the primary that holds {@code key} (close it to give it back), taken before anything is
     * written so a failure here means nothing was sent.
     */
    Connection connectionFor(String key) {
        if (provider instanceof ClusterConnectionProvider cluster) {
            return cluster.getConnectionFromSlot(JedisClusterCRC16.getSlot(key));
        }
        return provider.getConnection();
    }

    /** A pooled connection to one Cluster node (an {@code ASK} redirection names it). */
    Connection connectionTo(HostAndPort node) {
        return ((ClusterConnectionProvider) provider).getConnection(node);
    }

    /** A plain message on a live channel, outside any script: {@code SPUBLISH} on Cluster, else {@code PUBLISH}. */
    void publish(String channel, String message) {
        if (commands instanceof JedisCluster cluster) {
            cluster.spublish(channel, message);
        } else {
            commands.publish(channel, message);
        }
    }

    /** Asks the Cluster for its slot map again (after a {@code MOVED}, a failover, a lost subscription). */
    void refreshSlots() {
        if (provider instanceof ClusterConnectionProvider cluster) {
            cluster.renewSlotCache();
        }
    }

    /** The primary that serves {@code slot} as last seen; null when unknown. */
    HostAndPort primaryOf(int slot) {
        return ((ClusterConnectionProvider) provider).getNode(slot);
    }

    /** Pooled connections are PINGed before every use unless {@code redisIsUp} (until this is called: always). */
    void trustRecentConnectionsWhile(BooleanSupplier redisIsUp) {
        if (standaloneConnections != null) {
            standaloneConnections.redisIsUp = redisIsUp;
        }
    }

    /**
     * Checks a pooled connection before use with a PING, except one used within {@link #PING_AFTER_IDLE} while the
     * subscriber is connected ({@link #redisIsUp}). Under load the pool (last in, first out) hands out a connection
     * used milliseconds ago, so a publish is one round trip instead of two. A Redis that goes away closes the
     * subscriber's connection too, which the subscriber notices at once: from then on every connection is PINGed
     * again, so a publish to a Redis that is down is refused with 503 (nothing stored), not attempted on a stale
     * connection and answered 504. A connection that failed is never returned to the pool (Jedis destroys broken
     * ones). Left: a publish in the instant between Redis going away and the subscriber noticing is answered 504,
     * which is honest ("may have been stored"). Standalone only: Jedis' Sentinel and Cluster providers build their
     * pools themselves.
     */
    static final class PingIfIdle extends ConnectionFactory {

        static final Duration PING_AFTER_IDLE = Duration.ofMillis(200);

        volatile BooleanSupplier redisIsUp = () -> false;

        PingIfIdle(HostAndPort address, JedisClientConfig config) {
            super(address, config);
        }

        @Override
        public boolean validateObject(PooledObject<Connection> pooled) {
            if (pooled.getIdleDuration().compareTo(PING_AFTER_IDLE) < 0 && redisIsUp.getAsBoolean()) {
                return pooled.getObject().isConnected() && !pooled.getObject().isBroken();
            }
            return super.validateObject(pooled);
        }
    }

    /**
     * A new connection for the pattern subscriber (one server or Sentinel): to the server, or to the primary the
     * Sentinels name right now (asked on every call; a subscription would keep a connection to a demoted primary).
     */
    Jedis subscriberConnection() {
        return new Jedis(subscriberUri.mode() == RedisUri.Mode.SENTINEL ? currentPrimary() : subscriberUri.nodes().get(0),
                subscriberConfig);
    }

    /** A new connection for a sharded subscription on one Cluster node. */
    Connection subscriberConnection(HostAndPort node) {
        return new Connection(node, subscriberConfig);
    }

    private HostAndPort currentPrimary() {
        JedisException last = null;
        for (HostAndPort sentinel : subscriberUri.nodes()) {
            try (Jedis jedis = new Jedis(sentinel, sentinelConfig)) {
                List<String> address = jedis.sentinelGetMasterAddrByName(subscriberUri.masterName());
                if (address != null && address.size() == 2) {
                    return new HostAndPort(address.get(0), Integer.parseInt(address.get(1)));
                }
            } catch (JedisException e) {
                last = e;
                LOG.log(System.Logger.Level.DEBUG, "Sentinel " + sentinel + " did not answer", e);
            }
        }
        throw new JedisConnectionException("no Sentinel named a primary for '" + subscriberUri.masterName() + "'", last);
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

    private static JedisClientConfig clientConfig(RedisUri uri, SSLSocketFactory tls, String clientName) {
        DefaultJedisClientConfig.Builder builder = DefaultJedisClientConfig.builder()
                .user(uri.user())
                .password(uri.password())
                .database(uri.database())
                .ssl(uri.tls())
                .connectionTimeoutMillis(2000)
                .socketTimeoutMillis(2000)
                .clientName(clientName);
        if (tls != null) {
            builder.sslSocketFactory(tls);
        }
        return builder.build();
    }

    void close() {
        commands.close();
    }
}
