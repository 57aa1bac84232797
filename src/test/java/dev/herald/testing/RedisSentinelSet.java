package dev.herald.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * A Redis primary, its replica and three Sentinels watching them as master {@value #MASTER_NAME}, all real
 * {@code redis-server} processes on free loopback ports, for tests of Herald's {@code redis+sentinel://} mode:
 * kill the primary and await the failover, force a failover, restart a killed server (Sentinel makes it a replica).
 * <p>
 * Both data servers start as plain masters and the replica is attached with {@code REPLICAOF}, so either one
 * restarts the same way whatever role it last had: as an empty master that Sentinel converts to a replica of
 * whichever server it now knows as the primary. The Sentinels' timers ({@code SENTINEL DEBUG}) are shortened
 * from seconds to a second or less, so a failover takes a few seconds rather than half a minute (and TILT, which a
 * Sentinel enters when its timer runs late on a busy machine, lasts 3 s instead of 30).
 */
public final class RedisSentinelSet implements AutoCloseable {

    public static final String MASTER_NAME = "herald";

    /**
     * How long the set may take to settle (a replica linked, every Sentinel seeing it and the others). Sentinels learn
     * of each other from hello messages every 2 s and re-check a restarted node on their own schedule: 30 s ran out once
     * in a CI run after a failover (FailoverChaosIT, sentinel-sigkill), before the scenario's assertions.
     */
    private static final Duration READY = Duration.ofSeconds(60);
    /** A full resync starts at once, not after the default 5 s wait for more replicas to share one RDB stream. */
    static final List<String> DATA_SERVER = List.of("--repl-diskless-sync-delay", "0");

    private final List<RedisServer> servers = new ArrayList<>();
    private final List<RedisServer> sentinels = new ArrayList<>();
    /** The primary that {@link #killPrimary()} or {@link #failover()} took away, which {@link #awaitFailover} waits to see replaced. */
    private RedisServer formerPrimary;

    private RedisSentinelSet() {
    }

    /** Starts the five processes and returns once the replica is in sync and every Sentinel sees it and the two others. */
    public static RedisSentinelSet start() {
        RedisSentinelSet set = new RedisSentinelSet();
        try {
            set.startAll();
            return set;
        } catch (RuntimeException | Error e) {
            set.close();
            throw e;
        }
    }

    private void startAll() {
        RedisServer primary = RedisServer.start(DATA_SERVER);
        servers.add(primary);
        RedisServer replica = RedisServer.start(DATA_SERVER);
        servers.add(replica);
        replica.expectOk("REPLICAOF", "127.0.0.1", String.valueOf(primary.port()));
        Await.until("the replica on " + replica.port() + " is in sync", READY, () -> replica.isReplicaOf(primary));
        // Started once the replica is linked: a Sentinel's first INFO to the primary then already lists it.
        String config = String.join("\n",
                "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + primary.port() + " 2",
                // 3 s, not 1: longer than the 2 s a Sentinel's timer may run late before it enters TILT (and stops
                // acting), so a busy machine stalling the Sentinels makes them wait, not fail over from a live primary.
                // With 1 s, a CI run saw Jedis follow a switch back to a just-restarted, empty old primary: most likely
                // the healthy primary taken for down (a restarted server that reports role master is a candidate).
                "sentinel down-after-milliseconds " + MASTER_NAME + " 3000",
                "sentinel failover-timeout " + MASTER_NAME + " 3000",
                "sentinel parallel-syncs " + MASTER_NAME + " 1",
                "");
        for (int i = 0; i < 3; i++) {
            RedisServer sentinel = RedisServer.startWithConfig(config, List.of("--sentinel"));
            sentinels.add(sentinel);
            sentinel.expectOk("SENTINEL", "DEBUG", "info-period", "1000", "publish-period", "500",
                    "min-link-reconnect-period", "500", "election-timeout", "3000", "tilt-period", "3000");
        }
        awaitSettled(primary, replica, READY);
    }

    /** {@code redis+sentinel://127.0.0.1:a,127.0.0.1:b,127.0.0.1:c/herald}: the Sentinels, then the master name. */
    public String uri() {
        return sentinels.stream().map(s -> "127.0.0.1:" + s.port())
                .collect(Collectors.joining(",", "redis+sentinel://", "/" + MASTER_NAME));
    }

    public List<RedisServer> sentinels() {
        return List.copyOf(sentinels);
    }

    /** The server the first Sentinel that answers names as master ({@code SENTINEL get-master-addr-by-name}). */
    public RedisServer primary() {
        for (RedisServer sentinel : sentinels) {
            RedisServer named = masterNamedBy(sentinel);
            if (named != null) {
                return named;
            }
        }
        throw new IllegalStateException("no Sentinel names a master; Sentinel logs: " + logs());
    }

    /** The data server that is not {@link #primary()}. */
    public RedisServer replica() {
        return other(primary());
    }

    /** SIGKILLs the current primary and returns it; {@link #awaitFailover(Duration)} then waits for the replica to take over. */
    public RedisServer killPrimary() {
        RedisServer primary = primary();
        formerPrimary = primary;
        primary.kill();
        return primary;
    }

    /**
     * Waits until every Sentinel names the server other than the one {@link #killPrimary()} killed as master and
     * that server answers {@code ROLE} as a master; returns it.
     */
    public RedisServer awaitFailover(Duration timeout) {
        if (formerPrimary == null) {
            throw new IllegalStateException("no primary was killed or failed over");
        }
        RedisServer promoted = other(formerPrimary);
        awaitOrTellState("every Sentinel names " + promoted.port() + " master and it answers ROLE master", timeout,
                () -> promoted.isPrimary() && sentinels.stream().allMatch(s -> masterNamedBy(s) == promoted), promoted, formerPrimary);
        return promoted;
    }

    /**
     * {@code SENTINEL FAILOVER herald}: the replica is promoted without anything failing, and the former primary is
     * made its replica. Returns once both are in their new roles, in sync, and every Sentinel sees them so.
     */
    public RedisServer failover() {
        RedisServer primary = primary();
        RedisServer replica = other(primary);
        formerPrimary = primary;
        // Refused (-INPROG, -NOGOODSLAVE) while a Sentinel still finishes or remembers an earlier failover.
        Await.until("a Sentinel accepts SENTINEL FAILOVER", READY,
                () -> "OK".equals(sentinels.get(0).reply("SENTINEL", "FAILOVER", MASTER_NAME)));
        awaitFailover(READY);
        awaitSettled(replica, primary, READY);
        return replica;
    }

    /**
     * Starts a killed data server again on its port. It comes back an empty master; Sentinel converts it into a
     * replica of the current primary. Returns once it is in sync and every Sentinel lists it as a healthy replica.
     */
    public void restart(RedisServer server) {
        if (!servers.contains(server)) {
            throw new IllegalArgumentException("not a data server of this set: " + server.port());
        }
        server.restart();
        awaitSettled(primary(), server, READY);
    }

    private void awaitSettled(RedisServer primary, RedisServer replica, Duration timeout) {
        awaitOrTellState("the replica on " + replica.port() + " is linked to the primary on " + primary.port()
                + ", and every Sentinel sees both and two other Sentinels", timeout,
                () -> primary.isPrimary() && replica.isReplicaOf(primary)
                        && sentinels.stream().allMatch(s -> masterNamedBy(s) == primary && seesHealthy(s, replica)), primary, replica);
    }

    /** {@link Await#until}, failing with {@link #state} too: the Sentinels' logs go with the set when it closes. */
    private void awaitOrTellState(String what, Duration timeout, BooleanSupplier condition, RedisServer primary, RedisServer replica) {
        try {
            Await.until(what, timeout, condition);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + state(primary, replica), e);
        }
    }

    /** Each data server's ROLE, each Sentinel's master, replicas and other Sentinels, and the tail of its log. */
    private String state(RedisServer primary, RedisServer replica) {
        StringBuilder state = new StringBuilder();
        for (RedisServer server : List.of(primary, replica)) {
            state.append("server ").append(server.port()).append(" ROLE ").append(server.isRunning() ? server.reply("ROLE") : "(not running)")
                    .append('\n');
        }
        for (RedisServer sentinel : sentinels) {
            state.append("Sentinel ").append(sentinel.port()).append(": master ")
                    .append(sentinel.reply("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME))
                    .append(", replicas ").append(entries(sentinel.reply("SENTINEL", "REPLICAS", MASTER_NAME)).stream()
                            .map(r -> r.get("port") + " " + r.get("flags") + " link " + r.get("master-link-status")).toList())
                    .append(", other Sentinels ").append(entries(sentinel.reply("SENTINEL", "SENTINELS", MASTER_NAME)).stream()
                            .map(o -> o.get("port") + " " + o.get("flags")).toList())
                    .append("; its log ends:\n").append(tail(sentinel.log(), 25));
        }
        return state.toString();
    }

    private static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            return "(unreadable: " + e + ")\n";
        }
    }

    private boolean seesHealthy(RedisServer sentinel, RedisServer replica) {
        List<Map<String, String>> replicas = entries(sentinel.reply("SENTINEL", "REPLICAS", MASTER_NAME));
        List<Map<String, String>> others = entries(sentinel.reply("SENTINEL", "SENTINELS", MASTER_NAME));
        return replicas.stream().anyMatch(r -> String.valueOf(replica.port()).equals(r.get("port"))
                        && "slave".equals(r.get("flags")) && "ok".equals(r.get("master-link-status")))
                && others.size() == sentinels.size() - 1
                && others.stream().allMatch(o -> "sentinel".equals(o.get("flags")));
    }

    /** A Sentinel's list of instances, each a flat list of names and values, as maps; empty on an error. */
    private static List<Map<String, String>> entries(Object reply) {
        List<Map<String, String>> entries = new ArrayList<>();
        if (reply instanceof List<?> list) {
            for (Object item : list) {
                List<?> fields = (List<?>) item;
                Map<String, String> entry = new HashMap<>();
                for (int i = 0; i + 1 < fields.size(); i += 2) {
                    entry.put(String.valueOf(fields.get(i)), String.valueOf(fields.get(i + 1)));
                }
                entries.add(entry);
            }
        }
        return entries;
    }

    private RedisServer masterNamedBy(RedisServer sentinel) {
        if (sentinel.reply("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME) instanceof List<?> address) {
            int port = Integer.parseInt((String) address.get(1));
            return servers.stream().filter(s -> s.port() == port).findFirst().orElse(null);
        }
        return null;
    }

    private RedisServer other(RedisServer server) {
        return servers.get(0) == server ? servers.get(1) : servers.get(0);
    }

    private String logs() {
        return sentinels.stream().map(s -> s.log().toString()).collect(Collectors.joining(", "));
    }

    /** Kills every process (Sentinels first, so none reconfigures a server that is going away) and deletes their files. */
    @Override
    public void close() {
        sentinels.forEach(RedisServer::close);
        servers.forEach(RedisServer::close);
    }
}
