package dev.herald.notification;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.testing.Await;
import dev.herald.testing.HeraldMetrics;
import dev.herald.testing.HeraldNode;
import dev.herald.testing.RedisServer;
import dev.herald.testing.chaos.Deliveries;
import dev.herald.testing.chaos.ResilientSession;
import dev.herald.testing.chaos.Scenario;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Herald's promise under faults: every notification answered 202 reaches every session of its recipient that
 * is connected, or that reconnects with {@code since=<last id>}, exactly once and in publish order.
 * <p>
 * Not Arquillian: this class runs its own processes. Two Payara Micro nodes (A and B) share one durable
 * redis-server (AOF, fsync always); every user has one session on A and one on B (so cross-node delivery is
 * proven), and each node has one broadcast session. A publisher posts numbered notifications, alternating
 * nodes, while a fault is injected: Redis SIGKILLed, its pub/sub connections killed, Redis SIGSTOPped, a node
 * SIGTERMed or SIGKILLed, a client that stops reading. Clients reconnect with {@code since} as a real app
 * would ({@link ResilientSession}). Each scenario then waits until every session holds every acknowledged
 * notification and checks the invariants ({@link Deliveries}); it prints one line:
 * {@code <scenario>: published N, delivered N, lost 0, duplicated 0}.
 * <p>
 * The nodes boot once (in parallel) and are reused; a scenario restarts only what it kills. Logs: {@code
 * target/chaos/}. Run alone with {@code ./mvnw verify -Dit.test=ChaosIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosIT {

    /** How long Redis stays down in the SIGKILL scenario: long enough for every publish to meet the outage. */
    private static final Duration REDIS_OUTAGE = Duration.ofMillis(1500);
    /** How long Redis stays stopped (SIGSTOP) in that scenario, counted from the signal. */
    private static final Duration REDIS_PAUSE = Duration.ofSeconds(5);

    private static RedisServer redis;
    private static HeraldNode a;
    private static HeraldNode b;
    private static ScheduledExecutorService scheduler;
    private static Scenario current;

    @BeforeAll
    static void boot() {
        redis = RedisServer.startDurable();
        RedisServer started = redis;
        Runtime.getRuntime().addShutdownHook(new Thread(started::close, "redis-server shutdown"));
        scheduler = Executors.newScheduledThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "chaos-clients");
            thread.setDaemon(true);
            return thread;
        });
        a = HeraldNode.create("A", redis.uri(), Map.of());
        b = HeraldNode.create("B", redis.uri(), Map.of());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            a.close();
            b.close();
        }, "herald nodes shutdown"));
        HeraldNode.startAll(a, b);
    }

    @AfterAll
    static void shutdown() {
        List.of(a, b).forEach(HeraldNode::terminate);
        List.of(a, b).forEach(HeraldNode::close);
        try {
            Files.copy(redis.log(), Path.of("target", "chaos", "redis.log"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // only a log
        }
        redis.close();
        scheduler.shutdownNow();
    }

    /** A scenario that failed midway must not leave a fault behind for the next one. */
    @BeforeEach
    void everythingUp() {
        if (!redis.isRunning()) {
            redis.restart();
        } else if (!"+PONG".equals(redis.command("PING"))) {
            redis.resume();
        }
        List<HeraldNode> down = List.of(a, b).stream().filter(node -> !node.isRunning()).toList();
        if (!down.isEmpty()) {
            HeraldNode.startAll(down.toArray(HeraldNode[]::new));
        }
        awaitReady(Duration.ofSeconds(30), a, b);
    }

    @AfterEach
    void stopScenario() {
        Scenario s = current;
        current = null;
        if (s != null) {
            s.publisher.stop();
            s.sessions().forEach(ResilientSession::stop);
        }
    }

    // ------------------------------------------------------------------------------------------------ scenarios

    @Test
    @Order(1)
    void nothing_acknowledged_is_lost_or_duplicated_when_redis_is_sigkilled_and_restarted() {
        Scenario s = scenario("redis-sigkill", Duration.ofMillis(15));
        s.start();
        s.awaitAcknowledged(300);
        redis.kill();
        LockSupport.parkNanos(REDIS_OUTAGE.toNanos()); // the fault's length, not a wait for something to happen
        redis.restart();
        awaitReady(Duration.ofSeconds(20), a, b);
        s.awaitAcknowledged(s.publisher.acknowledged() + 300);
        s.finish();
    }

    @Test
    @Order(2)
    void nothing_acknowledged_is_lost_or_duplicated_when_the_nodes_pubsub_connections_are_killed() {
        Scenario s = scenario("client-kill-pubsub", Duration.ofMillis(15));
        s.start();
        s.awaitAcknowledged(200);
        for (int i = 0; i < 3; i++) {
            awaitReady(Duration.ofSeconds(10), a, b);
            assertEquals(":2", redis.command("CLIENT", "KILL", "TYPE", "pubsub"), "both nodes' subscribers killed");
            s.awaitAcknowledged(s.publisher.acknowledged() + 200);
        }
        s.finish();
    }

    @Test
    @Order(3)
    void readiness_turns_503_while_redis_is_sigstopped_and_nothing_acknowledged_is_lost_or_duplicated() {
        Scenario s = scenario("redis-sigstop", Duration.ofMillis(15));
        s.start();
        s.awaitAcknowledged(300);
        Instant stopped = Instant.now();
        redis.pause();
        try {
            CompletableFuture<Duration> unreadyA = CompletableFuture.supplyAsync(() -> awaitStatus(a, 503, stopped, Duration.ofSeconds(6)));
            CompletableFuture<Duration> unreadyB = CompletableFuture.supplyAsync(() -> awaitStatus(b, 503, stopped, Duration.ofSeconds(6)));
            Duration afterA = unreadyA.join();
            Duration afterB = unreadyB.join();
            assertTrue(afterA != null, "A's /health/ready did not turn 503 within 6 s of SIGSTOP");
            assertTrue(afterB != null, "B's /health/ready did not turn 503 within 6 s of SIGSTOP");
            Duration left = Duration.between(Instant.now(), stopped.plus(REDIS_PAUSE));
            if (!left.isNegative()) {
                LockSupport.parkNanos(left.toNanos()); // the fault's length, not a wait for something to happen
            }
        } finally {
            redis.resume();
        }
        Instant resumed = Instant.now();
        awaitReady(Duration.ofSeconds(15), a, b);
        s.note("ready again " + Duration.between(resumed, Instant.now()).toMillis() + " ms after SIGCONT");
        s.awaitAcknowledged(s.publisher.acknowledged() + 300);
        s.finish();
    }

    @Test
    @Order(4)
    void a_sigtermed_node_closes_its_sessions_with_1001_and_they_resume_elsewhere_losing_nothing() {
        nodeAGoesAwayAndComesBack("node-sigterm", () -> a.terminate(), 1001, "was closed with 1001 when A was SIGTERMed");
    }

    @Test
    @Order(5)
    void sessions_of_a_sigkilled_node_resume_elsewhere_losing_nothing() {
        nodeAGoesAwayAndComesBack("node-sigkill", () -> a.kill(), 1006, "saw its connection fail (1006) when A was SIGKILLed");
    }

    /** While publishing goes on, {@code fault} takes node A away, then A starts again; a session on A saw {@code closeCode}. */
    private static void nodeAGoesAwayAndComesBack(String scenario, Runnable fault, int closeCode, String howItClosed) {
        Scenario s = scenario(scenario, Duration.ofMillis(60));
        s.start();
        s.awaitAcknowledged(300);
        fault.run();
        s.awaitAcknowledged(s.publisher.acknowledged() + 100);
        HeraldNode.startAll(a);
        s.awaitAcknowledged(s.publisher.acknowledged() + 200);
        s.finish();
        assertTrue(s.sessions().stream().anyMatch(session -> session.closures().stream()
                        .anyMatch(c -> c.code() == closeCode && c.node().equals(a.name()))),
                "a session on A " + howItClosed);
    }

    @Test
    @Order(6)
    void a_client_that_stops_reading_is_closed_as_too_slow_and_the_others_lose_nothing() {
        // This scenario's own nodes: a session is closed as too slow once 100 frames wait for it (the byte bound
        // is raised out of the way, so the frame count is what trips).
        List.of(a, b).forEach(HeraldNode::terminate);
        List.of(a, b).forEach(HeraldNode::close);
        Map<String, String> slow = Map.of("HERALD_WEBSOCKET_QUEUE_SIZE", "100", "HERALD_WEBSOCKET_QUEUE_BYTES", "67108864");
        a = HeraldNode.create("A-q100", redis.uri(), slow);
        b = HeraldNode.create("B-q100", redis.uri(), slow);
        HeraldNode.startAll(a, b);

        // user 0 publishes 32 KB notifications as fast as it can, so the stalled session's socket buffers
        // (several MB on loopback) fill in seconds; its two other sessions keep reading
        Scenario s = scenario("slow-client", Duration.ofMillis(15), 32 * 1024);
        ResilientSession stalled = s.addSession(s.users.get(0), "stalled", 0);
        s.start();
        Await.until("the stalled session received something", Duration.ofSeconds(20), () -> stalled.received() > 0);
        stalled.pause();
        int before = slowClosesOn(a);
        Instant paused = Instant.now();
        Await.until("A closed a session as too slow (herald_sessions_closed_total{reason=\"slow\"})",
                Duration.ofSeconds(60), () -> slowClosesOn(a) > before);
        s.note("A closed the stalled session as too slow " + Duration.between(paused, Instant.now()).toMillis()
                + " ms after it stopped reading (" + stalled.received() + " frames read)");
        stalled.resume();
        Await.until("the stalled session saw its connection closed", Duration.ofSeconds(20), () -> !stalled.closures().isEmpty());
        ResilientSession.Closure first = stalled.closures().get(0);
        s.note("the stalled session saw " + first);
        s.awaitAcknowledged(s.publisher.acknowledged() + 200);
        s.finish();
        // Herald closed it with 4429 (the metric above), but a client that stopped reading cannot see that Close
        // on Payara Micro 6.2025.10: Tyrus closes the connection at once, cancelling the frame in flight and the
        // queued Close (TyrusServletWriter.onError CancellationException in the node's log). The client reads the
        // whole frames its buffers hold, then the stream is cut mid-frame: the JDK client fails (1006 with
        // java.lang.InternalError from its frame decoder, which met garbage) or waits for the rest of a frame that
        // never comes (its watchdog gives up: HUNG). Any of the three is the close; none loses a notification.
        assertTrue(List.of(4429, 1006, ResilientSession.HUNG).contains(first.code()),
                "the stalled session's connection was closed: " + first);
    }

    // -------------------------------------------------------------------------------------------- the machinery

    /** A scenario on A and B, stopped after the test whatever its outcome. */
    private static Scenario scenario(String name, Duration pause) {
        return scenario(name, pause, Scenario.PAD);
    }

    private static Scenario scenario(String name, Duration pause, int firstPad) {
        current = new Scenario(name, List.of(a, b), scheduler, pause, firstPad);
        return current;
    }

    private static void awaitReady(Duration timeout, HeraldNode... nodes) {
        for (HeraldNode node : nodes) {
            Await.until(node + " /health/ready answers 200", timeout, () -> node.readyStatus() == 200);
        }
    }

    /** How long after {@code since} the node's readiness answered {@code status}, or null if not within {@code timeout}. */
    private static Duration awaitStatus(HeraldNode node, int status, Instant since, Duration timeout) {
        Instant deadline = since.plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (node.readyStatus() == status) {
                return Duration.between(since, Instant.now());
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
        return null;
    }

    /** Sessions node's Herald closed as too slow (4429), from its Prometheus metrics (0 while it cannot be reached). */
    private static int slowClosesOn(HeraldNode node) {
        try {
            return HeraldMetrics.scrape(node.http("metrics?scope=application"))
                    .getOrDefault("herald_sessions_closed_total{reason=\"slow\"}", 0.0).intValue();
        } catch (UncheckedIOException e) {
            return 0;
        }
    }
}
