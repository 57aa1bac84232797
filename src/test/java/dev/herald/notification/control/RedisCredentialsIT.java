package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.IdempotencyKey;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import dev.herald.testing.Await;
import dev.herald.testing.RedisServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Herald against a Redis that demands credentials: separate ACL users for publishing and subscribing
 * with exactly the rights src/site/markdown/security.md documents, and TLS with a certificate this test generates.
 */
class RedisCredentialsIT {

    /** src/site/markdown/security.md, "Redis credentials": the least each connection needs. */
    static final String PUBLISHER_RULES = "~herald:* &herald:live:* -@all +evalsha +eval +xadd +xlen +xrange +xrevrange "
            + "+xdel +xinfo|stream +exists +publish +hmget +hset +pexpire +time +ping +wait +client|setname +hello +auth "
            + "+hget +hdel +hincrby +xsetid +zadd +zrangebyscore +zrem";
    static final String SUBSCRIBER_RULES = "&herald:live:* -@all +psubscribe +punsubscribe +ping +client|setname +hello +auth";

    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Stream user = Stream.user("acl-user");

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    @Test
    void publishingAndSubscribingWorkAsSeparateRedisUsersWithTheDocumentedRights() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            assertEquals("+OK", redis.command(("ACL SETUSER publisher on >pub-secret " + PUBLISHER_RULES).split(" ")));
            assertEquals("+OK", redis.command(("ACL SETUSER subscriber on >sub-secret " + SUBSCRIBER_RULES).split(" ")));
            assertEquals("+OK", redis.command("ACL", "SETUSER", "default", "off"));
            URI publisher = URI.create("redis://publisher:pub-secret@127.0.0.1:" + redis.port());
            URI subscriber = URI.create("redis://subscriber:sub-secret@127.0.0.1:" + redis.port());
            ProbeMisses misses = new ProbeMisses();
            try (RedisBroker broker = new RedisBroker(new RedisClients(publisher, subscriber, null), 10, ReplicaWait.NONE,
                    Broker.DEFAULT_IDEMPOTENCY_TTL, ProbeMisses.FAST, misses, executor)) {
                exercise(broker);
                misses.assertProbesComeBack(broker, ProbeMisses.FAST); // the canary's PUBLISH, on the probe channel
            }
            try (RedisBroker wrong = new RedisBroker(new RedisClients(URI.create("redis://publisher:wrong@127.0.0.1:" + redis.port()),
                    subscriber, null), 10, executor)) {
                assertThrows(BrokerUnavailableException.class, () -> wrong.publish(user, Payload.parse("{}")));
            }
        }
    }

    @Test
    void redissWorksWithATrustStoreForTheServersCertificate() throws Exception {
        Path certs = Files.createTempDirectory("herald-tls");
        generateCertificates(certs);
        int tlsPort = RedisServer.freePort();
        try (RedisServer redis = RedisServer.start(List.of("--tls-port", String.valueOf(tlsPort),
                "--tls-cert-file", certs.resolve("redis.crt").toString(), "--tls-key-file", certs.resolve("redis.key").toString(),
                "--tls-ca-cert-file", certs.resolve("ca.crt").toString(), "--tls-auth-clients", "no"))) {
            URI uri = URI.create("rediss://localhost:" + tlsPort);
            var tls = RedisClients.trusting(certs.resolve("truststore.p12"), "changeit".toCharArray());
            try (RedisBroker broker = new RedisBroker(new RedisClients(uri, uri, tls), 10, executor)) {
                exercise(broker);
            }
            try (RedisBroker untrusting = new RedisBroker(new RedisClients(uri, uri, null), 10, executor)) {
                assertThrows(BrokerUnavailableException.class, () -> untrusting.publish(user, Payload.parse("{}")),
                        "the JVM's default trust store does not know the test CA");
            }
        }
    }

    /** Publish, live delivery, history, replay, the rate limit and an idempotency key: every command Herald sends but the canary's. */
    private void exercise(RedisBroker broker) throws InterruptedException {
        BrokerContract.RecordingListener live = new BrokerContract.RecordingListener();
        broker.start(live);
        assertTrue(live.subscriptions.poll(10, TimeUnit.SECONDS) != null, "subscribed");
        Await.until("ready", Duration.ofSeconds(10), broker::isReady);
        Notification sent = broker.publish(new Broker.RateLimit("caller", 10, 10),
                List.of(new Broker.Publication(user, Payload.parse("{\"secure\":true}")))).get(0).notification();
        assertEquals(sent, live.next());
        assertEquals(List.of(sent), broker.history(user, null, 10));
        assertEquals(List.of(sent), broker.replay(user, dev.herald.notification.entity.NotificationId.ZERO).entries());
        Broker.Publication keyed = new Broker.Publication(user, Payload.parse("{\"keyed\":true}"),
                new IdempotencyKey("caller", "key-1"));
        Notification recorded = broker.publish(null, List.of(keyed)).get(0).notification();
        assertEquals(recorded, broker.publish(null, List.of(keyed)).get(0).notification(), "an idempotency key is recorded and read");

        // every inbox script, and a publish that trims a user's stream (history size 10)
        broker.publish(IntStream.range(0, 10).mapToObj(i -> new Broker.Publication(user, Payload.parse("{}"))).toList());
        Inbox inbox = broker.inbox();
        List<Notification> held = broker.history(user, null, 10);
        inbox.mark(user.userId(), Inbox.Mark.READ, List.of(held.get(0).id()));
        inbox.markUpTo(user.userId(), Inbox.Mark.ARCHIVE, held.get(1).id());
        assertEquals(8, inbox.inbox(user.userId(), Inbox.Filter.INBOX, null, 10).size());
        assertTrue(inbox.delete(user.userId(), held.get(2).id(), Inbox.Remover.PUBLISHER).isPresent());
        assertTrue(broker.replay(user, held.get(2).id()).canResume(held.get(2).id()), "a deleted id is a resume point");
        assertEquals(new Inbox.Counts(7, 7, 7), inbox.counts(user.userId()));

        // expiry: the index, the expiring publish and the sweep, on a user's stream and a group's
        long soon = System.currentTimeMillis() + 300;
        broker.publish(null, List.of(new Broker.Publication(user, Payload.parse("{}"), null, soon),
                new Broker.Publication(Stream.group("acl"), Payload.parse("{}"), null, soon)));
        Await.until("both expired", Duration.ofSeconds(10), () -> {
            broker.expireDue(System.currentTimeMillis());
            return broker.history(Stream.group("acl"), null, 10).isEmpty() && inbox.counts(user.userId()).total() == 7;
        });
    }

    private static void generateCertificates(Path dir) throws IOException, InterruptedException {
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Herald Test CA",
                "-keyout", "ca.key", "-out", "ca.crt");
        run(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "redis.key", "-out", "redis.csr");
        Files.writeString(dir.resolve("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        run(dir, "openssl", "x509", "-req", "-in", "redis.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "1", "-extfile", "san.ext", "-out", "redis.crt");
        run(dir, "keytool", "-importcert", "-noprompt", "-alias", "herald-test-ca", "-file", "ca.crt",
                "-keystore", "truststore.p12", "-storetype", "PKCS12", "-storepass", "changeit");
    }

    private static void run(Path dir, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("tools.log").toFile()).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
        assertEquals(0, process.exitValue(), () -> String.join(" ", command) + " failed; see " + dir.resolve("tools.log"));
    }
}
