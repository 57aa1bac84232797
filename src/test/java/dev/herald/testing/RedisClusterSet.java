package dev.herald.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A Redis Cluster of three primaries with one replica each, real {@code redis-server} processes on free loopback
 * ports, for tests of Herald's {@code redis+cluster://} mode: find a slot's primary, kill it and await its replica's
 * promotion, restart a killed node (it rejoins as a replica), and move a slot to another primary the way
 * {@code redis-cli --cluster reshard} does, optionally stopping half way ({@link #beginMigration}) so a test can act
 * while the slot is MIGRATING on its source and IMPORTING on its target.
 * <p>
 * Every wait ends when all running nodes agree: {@code cluster_state:ok} everywhere, the same {@code CLUSTER SLOTS}
 * from each, every running node in it, every replica linked to its primary. Set {@code REDIS_CLI} to use a
 * {@code redis-cli} that is not on the PATH.
 */
public final class RedisClusterSet implements AutoCloseable {

    public static final int SLOTS = 16384;

    private static final Duration READY = Duration.ofSeconds(30);
    /**
     * {@code CLUSTER SLOTS} leaves out a replica whose replication offset is still 0, which on an idle primary only
     * moves with its PING to the replicas, every 10 s by default: pinging every second lets a new cluster settle in
     * seconds, not ten.
     */
    private static final List<String> NODE = List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", "1000", "--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1");

    private final List<RedisServer> nodes = new ArrayList<>();
    private final Map<RedisServer, String> ids = new HashMap<>();

    private RedisClusterSet() {
    }

    /** Starts six nodes, joins them with {@code redis-cli --cluster create … --cluster-replicas 1}, waits until settled. */
    public static RedisClusterSet start() {
        RedisClusterSet set = new RedisClusterSet();
        try {
            set.create();
            return set;
        } catch (RuntimeException | Error e) {
            set.close();
            throw e;
        }
    }

    private void create() {
        for (int i = 0; i < 6; i++) {
            RedisServer node = RedisServer.start(NODE);
            nodes.add(node);
            ids.put(node, node.text("CLUSTER", "MYID"));
        }
        List<String> command = new ArrayList<>(List.of(System.getenv().getOrDefault("REDIS_CLI", "redis-cli"), "--cluster", "create"));
        nodes.forEach(node -> command.add("127.0.0.1:" + node.port()));
        command.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
        run(command);
        awaitSettled("the cluster is created");
    }

    private static void run(List<String> command) {
        Path output = null;
        try {
            output = Files.createTempFile("herald-redis-cli", ".log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(READY.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish: " + Files.readString(output));
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(output));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run '" + command.get(0) + "': install redis-tools (apt-get install -y "
                    + "redis-tools) or set REDIS_CLI to its path", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (output != null) {
                output.toFile().delete();
            }
        }
    }

    /** {@code redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3}: the seed nodes, the three created as primaries. */
    public String uri() {
        return nodes.stream().limit(3).map(n -> "127.0.0.1:" + n.port()).collect(Collectors.joining(",", "redis+cluster://", ""));
    }

    public List<RedisServer> nodes() {
        return List.copyOf(nodes);
    }

    /** The running nodes that own slots now, in the order of their first slot. */
    public List<RedisServer> primaries() {
        return view().stream().map(Range::primary).distinct().map(this::node).toList();
    }

    /** The node's cluster id ({@code CLUSTER MYID}), kept across restarts in its {@code nodes.conf}. */
    public String id(RedisServer node) {
        return Objects.requireNonNull(ids.get(node), "not a node of this cluster");
    }

    public static int slotOf(String key) {
        return JedisClusterCRC16.getSlot(key);
    }

    /** The primary that owns {@code slot}, as the first running node reports it ({@code CLUSTER SLOTS}). */
    public RedisServer primaryOf(int slot) {
        return node(rangeOf(view(), slot).primary());
    }

    /** The running replicas of the primary that owns {@code slot}. */
    public List<RedisServer> replicasOf(int slot) {
        return rangeOf(view(), slot).replicas().stream().map(this::node).toList();
    }

    /** SIGKILLs the primary of {@code slot} and returns it; {@link #awaitPromoted} waits for its replica to take over. */
    public RedisServer killPrimaryOf(int slot) {
        RedisServer primary = primaryOf(slot);
        primary.kill();
        return primary;
    }

    /**
     * Waits until the slot's owner is a running node that answers {@code ROLE} as master and the running nodes have
     * settled on it ({@code cluster_state:ok} on each again); returns it.
     */
    public RedisServer awaitPromoted(int slot, Duration timeout) {
        Await.until("a running node took over slot " + slot + " and the cluster settled", timeout, () -> {
            List<Range> view = settledView();
            return view != null && node(rangeOf(view, slot).primary()).isPrimary();
        });
        return primaryOf(slot);
    }

    /**
     * {@code CLUSTER FAILOVER} on the replica of the slot's primary: the two swap roles without anything failing.
     * Returns the new primary once the former one replicates from it and the cluster settled.
     */
    public RedisServer failover(int slot) {
        RedisServer primary = primaryOf(slot);
        RedisServer replica = replicasOf(slot).stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("the primary of slot " + slot + " has no replica"));
        replica.expectOk("CLUSTER", "FAILOVER");
        Await.until(replica.port() + " took over slot " + slot + " from " + primary.port() + " and the cluster settled", READY, () -> {
            List<Range> view = settledView();
            return view != null && rangeOf(view, slot).primary() == replica.port() && primary.isReplicaOf(replica);
        });
        return replica;
    }

    /** Starts a killed node again on its port; it rejoins the cluster (a former primary as a replica). Returns once settled. */
    public void restart(RedisServer node) {
        if (!nodes.contains(node)) {
            throw new IllegalArgumentException("not a node of this cluster: " + node.port());
        }
        node.restart();
        awaitSettled("node " + node.port() + " rejoined");
    }

    /** Moves {@code slot} and its keys to {@code target}, a primary, and returns once every node agrees. */
    public void migrateSlot(int slot, RedisServer target) {
        SlotMigration migration = beginMigration(slot, target);
        migration.moveKeys();
        migration.finish();
    }

    /** Opens the move of {@code slot} to {@code target}: IMPORTING on the target, then MIGRATING on the source. */
    public SlotMigration beginMigration(int slot, RedisServer target) {
        RedisServer source = primaryOf(slot);
        if (source == target || !primaries().contains(target)) {
            throw new IllegalArgumentException("port " + target.port() + " is not another primary than the slot's, " + source.port());
        }
        target.expectOk("CLUSTER", "SETSLOT", String.valueOf(slot), "IMPORTING", id(source));
        source.expectOk("CLUSTER", "SETSLOT", String.valueOf(slot), "MIGRATING", id(target));
        return new SlotMigration(slot, source, target);
    }

    /** A slot half moved: its keys go over with {@link #moveKeys()}, the ownership with {@link #finish()}. */
    public final class SlotMigration {

        private final int slot;
        private final RedisServer source;
        private final RedisServer target;

        private SlotMigration(int slot, RedisServer source, RedisServer target) {
            this.slot = slot;
            this.source = source;
            this.target = target;
        }

        public int slot() {
            return slot;
        }

        public RedisServer source() {
            return source;
        }

        public RedisServer target() {
            return target;
        }

        /** MIGRATEs every key the source still holds in the slot, 100 at a time; returns how many moved. */
        public int moveKeys() {
            int moved = 0;
            while (true) {
                List<?> keys = (List<?>) source.reply("CLUSTER", "GETKEYSINSLOT", String.valueOf(slot), "100");
                if (keys.isEmpty()) {
                    return moved;
                }
                List<String> migrate = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", String.valueOf(target.port()), "", "0",
                        "5000", "KEYS"));
                keys.forEach(key -> migrate.add((String) key));
                source.expectOk(migrate.toArray(String[]::new));
                moved += keys.size();
            }
        }

        /**
         * Moves what keys are left, then assigns the slot to the target: on the target first (it bumps its epoch), then
         * the source, then the other primaries, as {@code redis-cli --cluster reshard} does. Returns once every node agrees.
         */
        public void finish() {
            moveKeys();
            String[] assign = {"CLUSTER", "SETSLOT", String.valueOf(slot), "NODE", id(target)};
            target.expectOk(assign);
            source.expectOk(assign);
            primaries().stream().filter(p -> p != source && p != target).forEach(p -> p.expectOk(assign));
            Await.until("every node sees slot " + slot + " on " + target.port(), READY, () -> {
                List<Range> view = settledView();
                return view != null && rangeOf(view, slot).primary() == target.port();
            });
        }
    }

    private void awaitSettled(String what) {
        Await.until(what + ": every running node has cluster_state:ok, the same slots, and every replica is linked",
                READY, () -> settledView() != null);
    }

    /** The slot map all running nodes agree on, or null while they do not, or a node or replica is not ready. */
    private List<Range> settledView() {
        List<RedisServer> running = nodes.stream().filter(RedisServer::isRunning).toList();
        List<Range> view = null;
        for (RedisServer node : running) {
            if (!(node.reply("CLUSTER", "INFO") instanceof String info) || !info.contains("cluster_state:ok")) {
                return null;
            }
            List<Range> seen = view(node);
            if (view != null && !view.equals(seen)) {
                return null;
            }
            view = seen;
        }
        if (view == null || view.stream().mapToInt(r -> r.end() - r.start() + 1).sum() != SLOTS) {
            return null;
        }
        for (Range range : view) {
            if (!node(range.primary()).isRunning()
                    || !range.replicas().stream().allMatch(r -> node(r).isReplicaOf(node(range.primary())))) {
                return null;
            }
        }
        List<Integer> listed = view.stream().flatMap(r -> Stream.concat(Stream.of(r.primary()), r.replicas().stream())).toList();
        return running.stream().allMatch(n -> listed.contains(n.port())) ? view : null;
    }

    /** One row of {@code CLUSTER SLOTS}: a range of slots, the port of its primary and those of its (not failed) replicas. */
    private record Range(int start, int end, int primary, List<Integer> replicas) {
    }

    private List<Range> view() {
        for (RedisServer node : nodes) {
            if (node.isRunning()) {
                List<Range> view = view(node);
                if (!view.isEmpty()) {
                    return view;
                }
            }
        }
        throw new IllegalStateException("no running node reports its slots");
    }

    private static List<Range> view(RedisServer node) {
        List<Range> ranges = new ArrayList<>();
        if (node.reply("CLUSTER", "SLOTS") instanceof List<?> rows) {
            for (Object item : rows) {
                List<?> row = (List<?>) item;
                List<Integer> replicas = row.subList(3, row.size()).stream().map(RedisClusterSet::port).sorted().toList();
                ranges.add(new Range(((Long) row.get(0)).intValue(), ((Long) row.get(1)).intValue(), port(row.get(2)), replicas));
            }
        }
        ranges.sort((a, b) -> Integer.compare(a.start(), b.start()));
        return ranges;
    }

    private static int port(Object address) {
        return ((Long) ((List<?>) address).get(1)).intValue();
    }

    private static Range rangeOf(List<Range> view, int slot) {
        return view.stream().filter(r -> r.start() <= slot && slot <= r.end()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no node serves slot " + slot + ": " + view));
    }

    private RedisServer node(int port) {
        return nodes.stream().filter(n -> n.port() == port).findFirst()
                .orElseThrow(() -> new IllegalStateException("port " + port + " is not a node of this cluster"));
    }

    /** Kills every node and deletes their files. */
    @Override
    public void close() {
        nodes.forEach(RedisServer::close);
    }
}
