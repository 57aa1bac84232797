package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.notification.entity.Stream;
import dev.herald.testing.Await;
import dev.herald.testing.RedisServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The registry of outboxes on the Redis engine, against a real redis-server that loses its subscriber on purpose. */
class OutboxesIT extends OutboxesFixture {

    private RedisBroker redisBroker(RedisServer redis) {
        URI uri = URI.create(redis.uri());
        return new RedisBroker(new RedisClients(uri, uri, null), 1000, executor);
    }

    @Test
    void resumingWhilePublishingThroughRedisMissesNothingAndRepeatsNothing() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            start(redisBroker(redis));
            Await.until("subscribed", Duration.ofSeconds(20), broker::isReady);
            resumeWhilePublishing(500);
        }
    }

    @Test
    void afterTheSubscriberLosesRedisConnectedSessionsAreCaughtUpExactly() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            start(redisBroker(redis));
            Await.until("subscribed", Duration.ofSeconds(20), broker::isReady);
            Stream user = Stream.user("survivor");
            RecordingPeer peer = open(user, null);
            RecordingPeer everyone = open(Stream.BROADCAST, null);
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> IntStream.rangeClosed(1, 600).forEach(i -> {
                publish(user, i);
                if (i % 100 == 0) {
                    publish(Stream.BROADCAST, i);
                }
                if (i % 150 == 0) {
                    redis.command("CLIENT", "KILL", "TYPE", "pubsub");
                }
            }), executor);
            publishing.get(60, TimeUnit.SECONDS);
            Await.until("600 arrived", Duration.ofSeconds(20), () -> peer.frames.size() >= 600);
            assertEquals(IntStream.rangeClosed(1, 600).boxed().toList(), OutboxTest.sequences(peer));
            Await.until("6 broadcasts arrived", Duration.ofSeconds(20), () -> everyone.frames.size() >= 6);
            assertEquals(List.of(100, 200, 300, 400, 500, 600), OutboxTest.sequences(everyone));
        }
    }

}
