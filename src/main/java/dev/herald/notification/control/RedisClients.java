package dev.herald.notification.control;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
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
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * Herald's connections to Redis, built from its URIs: a pool for publishing and reading, and a fresh
 * connection for each subscription (possibly as another Redis user, with only pub/sub rights).
 */
final class RedisClients {

    private final JedisPooled pool;
    private final PingIfIdle connections;
    private final HostAndPort subscriberAddress;
    private final JedisClientConfig subscriberConfig;

    /**
     * @param uri           publishing and reading: {@code redis://[user:password@]host:port[/db]}, {@code rediss://} for TLS
     * @param subscriberUri the subscriber's connection
     * @param tls           the socket factory for {@code rediss://} (a custom trust store), or null for the JVM's default
     */
    RedisClients(URI uri, URI subscriberUri, SSLSocketFactory tls) {
        this.subscriberAddress = JedisURIHelper.getHostAndPort(checked(subscriberUri));
        this.subscriberConfig = clientConfig(subscriberUri, tls, "herald-subscriber");
        GenericObjectPoolConfig<Connection> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(64);
        poolConfig.setMaxIdle(64);
        poolConfig.setMaxWait(Duration.ofSeconds(2));
        // A connection left from before a Redis restart fails only once a command was written to it, and then
        // nobody can tell whether that command ran (a 504, not a 503): check it when it is taken (see below).
        poolConfig.setTestOnBorrow(true);
        this.connections = new PingIfIdle(JedisURIHelper.getHostAndPort(checked(uri)), clientConfig(uri, tls, "herald"));
        this.pool = new JedisPooled(connections, poolConfig);
    }

    /** Pooled connections are PINGed before every use unless {@code redisIsUp} (until this is called: always). */
    void trustRecentConnectionsWhile(BooleanSupplier redisIsUp) {
        connections.redisIsUp = redisIsUp;
    }

    /**
     * Checks a pooled connection before use with a PING, except one used within {@link #PING_AFTER_IDLE} while the
     * subscriber is connected ({@link #redisIsUp}). Under load the pool (last in, first out) hands out a connection
     * used milliseconds ago, so a publish is one round trip instead of two. A Redis that goes away closes the
     * subscriber's connection too, which the subscriber notices at once: from then on every connection is PINGed
     * again, so a publish to a Redis that is down is refused with 503 (nothing stored), not attempted on a stale
     * connection and answered 504. A connection that failed is never returned to the pool (Jedis destroys broken
     * ones). Left: a publish in the instant between Redis going away and the subscriber noticing is answered 504,
     * which is honest ("may have been stored").
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

    JedisPooled pool() {
        return pool;
    }

    /** A new connection for the subscriber: never a cached one, which a subscription would keep after a failure. */
    Jedis subscriberConnection() {
        return new Jedis(subscriberAddress, subscriberConfig);
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

    void close() {
        pool.close();
    }
}
