package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import dev.herald.testing.Await;
import dev.herald.testing.RedisServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;

/**
 * {@code herald.redis.wait-replicas}: a publish is acknowledged only once a real replica holds it, and one the
 * replica does not confirm in time (here: the replica stopped with SIGSTOP) is an unknown outcome (504), never a 202.
 */
class ReplicaWaitIT {

    private static RedisServer primary;
    private static RedisServer replica;
    private static final ExecutorService EXECUTOR = Executors.newCachedThreadPool();
    private final Stream user = Stream.user("replicated");

    @BeforeAll
    static void startPrimaryAndReplica() {
        primary = RedisServer.start();
        replica = RedisServer.start(List.of("--replicaof", "127.0.0.1", String.valueOf(primary.port())));
        // WAIT on a connection that wrote nothing answers how many replicas are connected and acknowledging
        Await.until("the replica is in sync", Duration.ofSeconds(20), () -> ":1".equals(primary.command("WAIT", "1", "100")));
    }

    @AfterAll
    static void stop() {
        replica.close();
        primary.close();
        EXECUTOR.shutdownNow();
    }

    private RedisBroker broker(int replicas) {
        URI uri = URI.create(primary.uri());
        return new RedisBroker(new RedisClients(uri, uri, null), 10, new ReplicaWait(replicas, Duration.ofMillis(500)),
                Broker.DEFAULT_IDEMPOTENCY_TTL, EXECUTOR);
    }

    @Test
    void aPublishIsAcknowledgedOnceTheReplicaHoldsIt() {
        try (RedisBroker broker = broker(1)) {
            Notification sent = broker.publish(user, Payload.parse("{\"n\":1}"));
            try (Jedis onReplica = new Jedis("127.0.0.1", replica.port())) {
                assertTrue(onReplica.xrange("herald:stream:{" + user.name() + "}", (StreamEntryID) null, null).stream()
                                .anyMatch(entry -> entry.getID().toString().equals(sent.id().toString())),
                        "the replica holds the acknowledged publish");
            }
        }
    }

    @Test
    void aPublishTheReplicaDoesNotConfirmInTimeIsAnUnknownOutcome() {
        try (RedisBroker broker = broker(1)) {
            replica.pause();
            try {
                PublishOutcomeUnknownException unknown = assertThrows(PublishOutcomeUnknownException.class,
                        () -> broker.publish(user, Payload.parse("{\"n\":\"unconfirmed\"}")));
                assertTrue(unknown.getMessage().contains("0 of the 1 Redis replicas"), unknown.getMessage());
                String newest = broker.history(user, null, 1).get(0).frame();
                assertTrue(newest.endsWith("\"n\":\"unconfirmed\"}"), "the primary has it (\"may have been stored\"): " + newest);
            } finally {
                replica.resume();
            }
            Await.until("acknowledged again once the replica is back", Duration.ofSeconds(10), () -> BrokerContract.publishes(broker, user));
        }
    }

    @Test
    void moreReplicasThanThereAreIsNeverAcknowledged() {
        try (RedisBroker broker = broker(2)) {
            assertThrows(PublishOutcomeUnknownException.class, () -> broker.publish(user, Payload.parse("{}")));
        }
    }
}
