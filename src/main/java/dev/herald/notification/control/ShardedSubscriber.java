package dev.herald.notification.control;

import dev.herald.notification.entity.Stream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisShardedPubSub;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Live delivery on Redis Cluster: Redis 7 sharded pub/sub, one shard channel per stream, subscribed only while this
 * node has sessions on that stream ({@link #follow}), so a unicast reaches only the nodes that hold that user. One
 * connection per Cluster primary that serves a followed stream ({@link Shard}, a reader thread each).
 * <p>
 * One thread, the reconciler, decides every subscription: it compares the streams wanted with the subscriptions
 * confirmed and sends {@code SSUBSCRIBE}/{@code SUNSUBSCRIBE}; readers only report. A subscription can end three
 * ways, all leading back to "wanted but not subscribed", which the reconciler then subscribes again on the node that
 * serves the slot now: the node's connection breaks (a killed primary), the node sends {@code SUNSUBSCRIBE} itself (its
 * slot moved to another shard), or the node no longer serves the slot (a failover while it stays reachable: the slot
 * map is re-read every second and such a connection is dropped). Each new confirmation calls
 * {@link Broker.Listener#subscribed(Stream)}, which catches that stream's sessions up from history, exactly as after a
 * reconnect of the pattern subscriber.
 */
final class ShardedSubscriber implements LiveFeed {

    private static final System.Logger LOG = System.getLogger(ShardedSubscriber.class.getName());
    private static final Duration TOPOLOGY_CHECK = Duration.ofSeconds(1);
    private static final Duration RETRY = Duration.ofMillis(200);

    private final RedisClients clients;
    private final LiveMessages messages;
    private final Executor longRunning;
    /** Channels this node needs: the followed streams' and its probe channel. */
    private final Set<String> wanted = ConcurrentHashMap.newKeySet();
    /** Channel → the shard it was sent to; only the reconciler thread reads or writes it. */
    private final Map<String, Shard> assigned = new HashMap<>();
    private final Map<HostAndPort, Shard> shards = new ConcurrentHashMap<>();
    /** Nodes that refused a connection in this pass: skipped until the next, and logged once per outage. */
    private final Set<HostAndPort> failing = new HashSet<>();
    private final Set<HostAndPort> failedThisPass = new HashSet<>();
    private final Queue<Runnable> reports = new ConcurrentLinkedQueue<>();
    private final Semaphore wake = new Semaphore(0);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Broker.Listener listener;
    private volatile boolean running;

    /** @param messages its probe channel is subscribed for as long as the feed runs */
    ShardedSubscriber(RedisClients clients, LiveMessages messages, Executor longRunning) {
        this.clients = clients;
        this.messages = messages;
        this.longRunning = longRunning;
        wanted.add(messages.probeChannel());
    }

    @Override
    public void start(Broker.Listener listener) {
        this.listener = listener;
        running = true;
        longRunning.execute(() -> {
            try {
                reconcileUntilClosed();
            } finally {
                running = false;
            }
        });
    }

    @Override
    public void follow(Stream stream) {
        wanted.add(RedisKeys.channel(stream));
        wake.release();
    }

    @Override
    public void unfollow(Stream stream) {
        wanted.remove(RedisKeys.channel(stream));
        wake.release();
    }

    @Override
    public boolean isAlive() {
        return running || stopped.getCount() == 0;
    }

    /** Every wanted channel is confirmed by the shard that serves it. */
    @Override
    public boolean isSubscribed() {
        if (!running) {
            return false;
        }
        for (String channel : wanted) {
            if (shards.values().stream().noneMatch(shard -> shard.confirmed.contains(channel))) {
                return false;
            }
        }
        return true;
    }

    private void reconcileUntilClosed() {
        long nextTopologyCheck = System.nanoTime();
        try {
            while (stopped.getCount() > 0) {
                for (Runnable report; (report = reports.poll()) != null; ) {
                    report.run();
                }
                if (System.nanoTime() - nextTopologyCheck >= 0) {
                    nextTopologyCheck = System.nanoTime() + TOPOLOGY_CHECK.toNanos();
                    dropShardsThatMoved();
                }
                boolean settled = reconcile();
                wake.tryAcquire(settled ? TOPOLOGY_CHECK.toMillis() : RETRY.toMillis(), TimeUnit.MILLISECONDS);
                wake.drainPermits();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Redis Cluster subscriber stopped", e);
        }
    }

    /** Sends what differs between wanted and assigned; false when something could not be done yet (retry soon). */
    private boolean reconcile() {
        boolean settled = true;
        failedThisPass.clear();
        for (Map.Entry<String, Shard> entry : List.copyOf(assigned.entrySet())) {
            String channel = entry.getKey();
            Shard shard = entry.getValue();
            if (!wanted.contains(channel)) {
                assigned.remove(channel);
                shard.leave(channel);
            }
        }
        for (String channel : List.copyOf(wanted)) {
            if (!assigned.containsKey(channel)) {
                settled &= subscribe(channel);
            }
        }
        return settled;
    }

    private boolean subscribe(String channel) {
        HostAndPort node = clients.primaryOf(JedisClusterCRC16.getSlot(channel));
        if (node == null) {
            refreshSlots();
            return false;
        }
        Shard shard = shards.get(node);
        if (failedThisPass.contains(node) || shard != null && !shard.ready) {
            return false; // its first subscription is not confirmed yet: the connection cannot take more until then
        }
        try {
            if (shard == null) {
                shard = new Shard(node, clients.subscriberConnection(node));
                shards.put(node, shard);
                assigned.put(channel, shard);
                shard.start(channel);
            } else {
                assigned.put(channel, shard);
                shard.join(channel);
            }
            failing.remove(node);
            return true;
        } catch (JedisException e) {
            failedThisPass.add(node);
            if (failing.add(node)) {
                LOG.log(Level.WARNING, "Redis Cluster node {0} refused a subscription ({1}); retrying", node, e.getMessage());
            }
            if (shard != null) {
                shard.drop();
            }
            assigned.remove(channel);
            refreshSlots();
            return false;
        }
    }

    /** Drops a shard whose node serves none of its channels' slots any more (failed over while still reachable). */
    private void dropShardsThatMoved() {
        if (shards.isEmpty()) {
            return;
        }
        refreshSlots();
        for (Shard shard : shards.values()) {
            boolean moved = shard.confirmed.stream()
                    .anyMatch(channel -> !shard.node.equals(clients.primaryOf(JedisClusterCRC16.getSlot(channel))));
            if (moved) {
                LOG.log(Level.WARNING, "Redis Cluster node {0} no longer serves some of its subscriptions; resubscribing", shard.node);
                shard.drop();
            }
        }
    }

    private void refreshSlots() {
        try {
            clients.refreshSlots();
        } catch (JedisException e) {
            LOG.log(Level.DEBUG, "Could not read the Cluster's slot map", e);
        }
    }

    /** Runs {@code onReconciler} on the reconciler thread, the only one that changes subscriptions, and wakes it. */
    private void report(Runnable onReconciler) {
        reports.add(onReconciler);
        wake.release();
    }

    /** Drops every shard connection: the reconciler subscribes everything again on the slot map as it is now. */
    @Override
    public void reconnect() {
        report(this::refreshSlots); // on the reconciler: the canary may call this from a reader thread
        shards.values().forEach(Shard::drop);
    }

    @Override
    public void close() {
        stopped.countDown();
        wake.release();
        shards.values().forEach(Shard::drop);
    }

    /** One connection to one Cluster primary, subscribed to the shard channels it serves; read on its own thread. */
    private final class Shard extends JedisShardedPubSub {
        final HostAndPort node;
        final Connection connection;
        final Set<String> confirmed = ConcurrentHashMap.newKeySet();
        volatile boolean ready;

        Shard(HostAndPort node, Connection connection) {
            this.node = node;
            this.connection = connection;
        }

        void start(String firstChannel) {
            longRunning.execute(() -> {
                try {
                    proceed(connection, firstChannel);
                } catch (JedisException e) {
                    if (stopped.getCount() > 0) {
                        LOG.log(Level.WARNING, "Redis Cluster subscriber lost node {0} ({1}); resubscribing", node, e.getMessage());
                    }
                } catch (RuntimeException e) {
                    LOG.log(Level.ERROR, "Redis Cluster subscriber failed on node " + node, e);
                } finally {
                    confirmed.clear();
                    connection.close();
                    report(this::ended);
                }
            });
        }

        void join(String channel) {
            ssubscribe(channel);
        }

        /** Unsubscribes one channel; the last one is dropped with the connection instead, so a reader never idles. */
        void leave(String channel) {
            if (assigned.containsValue(this)) {
                sunsubscribe(channel);
            } else {
                drop();
            }
        }

        /** Closes the socket under the reader, which then reports the shard ended. */
        void drop() {
            try {
                connection.disconnect();
            } catch (JedisException e) {
                LOG.log(Level.DEBUG, "Dropping a Redis Cluster subscriber connection failed", e);
            }
        }

        /** On the reconciler: everything sent to this shard is to be subscribed again, wherever it is served now. */
        private void ended() {
            shards.remove(node, this);
            assigned.values().removeIf(shard -> shard == this);
        }

        @Override
        public void onSSubscribe(String channel, int subscribedChannels) {
            ready = true;
            confirmed.add(channel);
            messages.subscribed();
            String name = RedisKeys.channelName(channel);
            Stream stream = name == null ? null : streamOrNull(name);
            if (stream != null) {
                listener.subscribed(stream);
            }
        }

        @Override
        public void onSUnsubscribe(String channel, int subscribedChannels) {
            confirmed.remove(channel);
            report(() -> {
                if (assigned.get(channel) == this) {
                    // Redis ended it (its slot moved): subscribed again where the slot map now says, read afresh
                    assigned.remove(channel);
                    refreshSlots();
                }
            });
        }

        @Override
        public void onSMessage(String channel, String message) {
            messages.dispatch(channel, message, listener);
        }
    }

    private static Stream streamOrNull(String name) {
        try {
            return Stream.named(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
