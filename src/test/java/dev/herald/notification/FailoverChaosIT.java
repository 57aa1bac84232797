package dev.herald.notification;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.testing.Await;
import dev.herald.testing.HeraldNode;
import dev.herald.testing.RedisClusterSet;
import dev.herald.testing.RedisSentinelSet;
import dev.herald.testing.RedisServer;
import dev.herald.testing.chaos.Scenario;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Herald's promise when Redis itself fails over, on two Payara Micro nodes with sessions on both (the machinery of
 * {@link ChaosIT}: {@link Scenario}): a Sentinel primary SIGKILLed, a Cluster primary SIGKILLed, a Cluster slot
 * migrated, all while publishing with {@code herald.redis.wait-replicas=1}; a subscriber silently cut off from the
 * publishes ({@code REPLICAOF NO ONE} on the Redis it listens to), which the canary must notice; and a publisher that
 * retries every unclear outcome with its {@code Idempotency-Key}. Each prints
 * {@code <scenario>: published N, delivered N, lost 0, duplicated 0}. Few notifications per scenario: the faults, not
 * the volume, are the point. Each topology's nodes boot once, when its first scenario needs them.
 */
class FailoverChaosIT {

    /** Every publish waits for one replica: a failover then loses nothing that was answered 202. */
    private static final Map<String, String> DURABLE = Map.of("HERALD_REDIS_WAIT_REPLICAS", "1", "HERALD_REDIS_WAIT_TIMEOUT", "PT0.5S");
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(500);
    private static final int PROBE_MISSES = 3;
    private static final Duration FAILOVER = Duration.ofSeconds(30);

    private static ScheduledExecutorService scheduler;
    private static final List<AutoCloseable> started = new ArrayList<>();
    private Scenario current;

    @BeforeAll
    static void scheduler() {
        scheduler = Executors.newScheduledThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "chaos-clients");
            thread.setDaemon(true);
            return thread;
        });
    }

    @AfterAll
    static void stopEverything() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                // the next one still has to go
            }
        }
        scheduler.shutdownNow();
    }

    @AfterEach
    void stopScenario() {
        if (current != null) {
            current.publisher.stop();
            current.sessions().forEach(session -> session.stop());
        }
    }

    @Test
    void nothing_acknowledged_is_lost_or_duplicated_when_the_sentinel_primary_is_sigkilled() {
        try (RedisSentinelSet redis = RedisSentinelSet.start()) {
            List<HeraldNode> nodes = nodes("sentinel", redis.uri(), DURABLE);
            Scenario s = scenario("sentinel-sigkill", nodes, false);
            s.start();
            s.awaitAcknowledged(150);
            RedisServer killed = redis.killPrimary();
            Instant at = Instant.now();
            redis.awaitFailover(FAILOVER);
            s.note("failover " + Duration.between(at, Instant.now()).toMillis() + " ms after SIGKILL");
            redis.restart(killed); // the new primary's replica: WAIT 1 can be met again
            s.awaitAcknowledged(s.publisher.acknowledged() + 150);
            s.finish();
            stop(nodes);
        }
    }

    @Test
    void a_subscriber_cut_off_from_the_publishes_is_noticed_by_the_canary_and_nothing_is_lost() {
        try (RedisServer primary = RedisServer.start(); RedisServer replica = RedisServer.start()) {
            replica.expectOk("REPLICAOF", "127.0.0.1", String.valueOf(primary.port()));
            Await.until("the replica is in sync", Duration.ofSeconds(20), () -> replica.isReplicaOf(primary));
            // publishing on the primary, listening on its replica (Redis passes PUBLISH on to replicas)
            List<HeraldNode> nodes = nodes("canary", primary.uri(), Map.of("HERALD_REDIS_SUBSCRIBER_URI", replica.uri(),
                    "HERALD_REDIS_PROBE_INTERVAL", PROBE_INTERVAL.toString(), "HERALD_REDIS_PROBE_MISSES", String.valueOf(PROBE_MISSES)));
            Scenario s = scenario("canary-replicaof-no-one", nodes, false);
            s.start();
            s.awaitAcknowledged(100);
            Instant cut = Instant.now();
            replica.expectOk("REPLICAOF", "NO", "ONE"); // connected, healthy, and hearing nothing any more
            Duration limit = PROBE_INTERVAL.multipliedBy(PROBE_MISSES).plusSeconds(1);
            List<CompletableFuture<Duration>> unready = nodes.stream()
                    .map(node -> CompletableFuture.supplyAsync(() -> untilNotReady(node, cut, limit.plusSeconds(5)))).toList();
            for (int i = 0; i < nodes.size(); i++) {
                Duration noticed = unready.get(i).join();
                assertTrue(noticed != null && noticed.compareTo(limit) <= 0,
                        nodes.get(i) + " /health/ready must turn 503 within " + limit.toMillis() + " ms of the cut: " + noticed);
                s.note(nodes.get(i).name() + " not ready " + noticed.toMillis() + " ms after the cut");
            }
            s.awaitAcknowledged(s.publisher.acknowledged() + 100); // published meanwhile: caught up from history on each reconnect
            replica.expectOk("REPLICAOF", "127.0.0.1", String.valueOf(primary.port()));
            nodes.forEach(node -> Await.until(node + " ready again once the replica follows the primary", Duration.ofSeconds(30),
                    () -> node.readyStatus() == 200));
            s.awaitAcknowledged(s.publisher.acknowledged() + 100);
            s.finish();
            stop(nodes);
        }
    }

    @Test
    void nothing_acknowledged_is_lost_or_duplicated_on_a_cluster_whose_primary_is_sigkilled_or_whose_slot_moves() {
        try (RedisClusterSet redis = RedisClusterSet.start()) {
            List<HeraldNode> nodes = nodes("cluster", redis.uri(), DURABLE);
            Scenario killed = scenario("cluster-sigkill", nodes, false);
            killed.start();
            killed.awaitAcknowledged(150);
            int slot = RedisClusterSet.slotOf("herald:stream:{user:" + killed.users.get(0).name() + "}");
            RedisServer victim = redis.killPrimaryOf(slot);
            Instant at = Instant.now();
            redis.awaitPromoted(slot, FAILOVER);
            killed.note("replica promoted " + Duration.between(at, Instant.now()).toMillis() + " ms after SIGKILL");
            redis.restart(victim);
            killed.awaitAcknowledged(killed.publisher.acknowledged() + 150);
            killed.finish();
            stopScenario();

            Scenario moved = scenario("cluster-slot-migration", nodes, false);
            moved.start();
            moved.awaitAcknowledged(100);
            int movedSlot = RedisClusterSet.slotOf("herald:stream:{user:" + moved.users.get(1).name() + "}");
            RedisServer target = redis.primaries().stream().filter(node -> !node.equals(redis.primaryOf(movedSlot))).findFirst().orElseThrow();
            RedisClusterSet.SlotMigration migration = redis.beginMigration(movedSlot, target);
            moved.awaitAcknowledged(moved.publisher.acknowledged() + 50);
            migration.moveKeys();
            moved.awaitAcknowledged(moved.publisher.acknowledged() + 50);
            migration.finish();
            assertEquals(target, redis.primaryOf(movedSlot));
            moved.awaitAcknowledged(moved.publisher.acknowledged() + 100);
            moved.finish();
            stopScenario();

            // retries of unclear outcomes carry their key: a write pause makes publishes time out (504) while Redis
            // still holds them, and runs them when it ends; the retry then answers the stored id
            Scenario retried = scenario("cluster-idempotent-retries", nodes, true);
            retried.start();
            retried.awaitAcknowledged(100);
            for (RedisServer primary : redis.primaries()) {
                primary.reply("CLIENT", "PAUSE", "2500", "WRITE");
            }
            retried.awaitAcknowledged(retried.publisher.acknowledged() + 150);
            retried.note("unclear outcomes retried with their key: " + retried.publisher.count("ambiguous"));
            retried.finish();
            stop(nodes);
        }
    }

    /** Two nodes on {@code redisUri}, booted in parallel; stopped at the end of the class if a test fails first. */
    private static List<HeraldNode> nodes(String name, String redisUri, Map<String, String> settings) {
        HeraldNode a = HeraldNode.create(name + "-A", redisUri, settings);
        HeraldNode b = HeraldNode.create(name + "-B", redisUri, settings);
        started.add(a);
        started.add(b);
        HeraldNode.startAll(a, b);
        return List.of(a, b);
    }

    private static void stop(List<HeraldNode> nodes) {
        nodes.forEach(HeraldNode::terminate);
        nodes.forEach(HeraldNode::close);
    }

    private Scenario scenario(String name, List<HeraldNode> nodes, boolean idempotent) {
        current = new Scenario(name, nodes, scheduler, Duration.ofMillis(20));
        if (idempotent) {
            current.publisher.withIdempotencyKeys();
        }
        return current;
    }

    /** How long after {@code since} the node's readiness turned away from 200, or null if not within {@code timeout}. */
    private static Duration untilNotReady(HeraldNode node, Instant since, Duration timeout) {
        return Await.within(timeout, () -> node.readyStatus() != 200) ? Duration.between(since, Instant.now()) : null;
    }
}
