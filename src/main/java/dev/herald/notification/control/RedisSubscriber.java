package dev.herald.notification.control;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The node's one live connection to Redis: pattern-subscribes to every stream's channel and hands each
 * message to the listener on its own thread. Reconnects with capped exponential backoff when it loses
 * Redis, and a watchdog drops a connection that has gone silent, so the listener hears
 * {@link Broker.Listener#subscribed()} again and catches its sessions up. Messages on the node's probe channel
 * go to its {@link Canary}, which calls {@link #reconnect()} when they stop arriving.
 */
final class RedisSubscriber implements LiveFeed {

    private static final System.Logger LOG = System.getLogger(RedisSubscriber.class.getName());
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final Duration PING_INTERVAL = Duration.ofSeconds(1);
    private static final Duration SILENCE_LIMIT = Duration.ofSeconds(3);

    private final Supplier<Jedis> connections;
    private final LiveMessages messages;
    private final Executor longRunning;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Subscription subscription;
    private volatile boolean running;

    /**
     * @param connections   a new connection for each subscription
     * @param messages      where each message goes: the listener, or (this node's probes) the canary
     * @param longRunning   runs the subscriber loop and the watchdog, each for the life of the application
     */
    RedisSubscriber(Supplier<Jedis> connections, LiveMessages messages, Executor longRunning) {
        this.connections = connections;
        this.messages = messages;
        this.longRunning = longRunning;
    }

    @Override
    public void start(Broker.Listener listener) {
        running = true;
        longRunning.execute(() -> {
            try {
                subscribeUntilClosed(listener);
            } finally {
                running = false;
            }
        });
        longRunning.execute(this::watchUntilClosed);
    }

    @Override
    public boolean isAlive() {
        return running || stopped.getCount() == 0;
    }

    /** Subscribed, and heard from within the silence limit. */
    @Override
    public boolean isSubscribed() {
        Subscription current = subscription;
        return current != null && current.isSubscribed() && current.silentFor().compareTo(SILENCE_LIMIT) <= 0;
    }

    /**
     * The subscriber loop: one connection at a time, reconnecting with capped exponential backoff. A reconnect the
     * canary asked for is logged at DEBUG (it logs once itself), so one that repeats while it stays tripped does not
     * flood the log.
     */
    private void subscribeUntilClosed(Broker.Listener listener) {
        Duration backoff = Duration.ofMillis(100);
        boolean quiet = false;
        while (stopped.getCount() > 0) {
            Subscription current = null;
            try (Jedis jedis = connections.get()) {
                current = new Subscription(listener, jedis, quiet);
                quiet = false;
                subscription = current;
                try {
                    if (stopped.getCount() == 0) {
                        return;
                    }
                    jedis.psubscribe(current, RedisKeys.CHANNEL_PREFIX + "*");
                } finally {
                    subscription = null;
                }
                backoff = afterSubscription(current, backoff);
            } catch (JedisException e) {
                backoff = afterSubscription(current, backoff);
                quiet = current != null && current.reconnectAsked;
                LOG.log(quiet ? Level.DEBUG : Level.WARNING, "Redis subscriber lost its connection ({0}); reconnecting in {1} ms",
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

    /** Drops the current connection, if any: the loop subscribes again on a fresh one and catches up (see above). */
    @Override
    public void reconnect() {
        Subscription current = subscription;
        if (current != null) {
            current.reconnectAsked = true;
            current.drop();
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
    }

    /** One connection's subscription; its callbacks run on the subscriber thread and must stay trivial. */
    private final class Subscription extends JedisPubSub {
        private final Broker.Listener listener;
        private final Jedis jedis;
        /** Log subscribing at DEBUG: this connection replaces one dropped by {@link #reconnect()}. */
        private final boolean quiet;
        private volatile long lastHeard = System.nanoTime();
        volatile boolean wasSubscribed;
        volatile boolean reconnectAsked;

        Subscription(Broker.Listener listener, Jedis jedis, boolean quiet) {
            this.listener = listener;
            this.jedis = jedis;
            this.quiet = quiet;
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
            messages.subscribed();
            LOG.log(quiet ? Level.DEBUG : Level.INFO, "Redis subscriber subscribed to {0}", pattern);
            listener.subscribed();
        }

        @Override
        public void onPong(String pattern) {
            lastHeard = System.nanoTime();
        }

        @Override
        public void onPMessage(String pattern, String channel, String message) {
            lastHeard = System.nanoTime();
            messages.dispatch(channel, message, listener);
        }
    }
}
