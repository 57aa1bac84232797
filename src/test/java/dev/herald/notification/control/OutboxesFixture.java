package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import dev.herald.testing.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;

/** An {@link Outboxes} on an engine of the test's choice, with sessions that record what they receive. */
abstract class OutboxesFixture {

    final ExecutorService executor = Executors.newCachedThreadPool();
    Broker broker;
    Outboxes registry;

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
        executor.shutdownNow();
    }

    void start(Broker engine) {
        broker = engine;
        registry = new Outboxes(broker, executor);
        broker.start(registry);
    }

    Notification publish(Stream stream, int n) {
        return broker.publish(stream, Payload.parse("{\"n\":" + n + "}"));
    }

    RecordingPeer open(Stream stream, NotificationId since) {
        RecordingPeer peer = new RecordingPeer(true);
        registry.open(stream, since, peer, OutboxTest.frames(10_000), Instant.MAX);
        return peer;
    }

    void resumeWhilePublishing(int count) throws Exception {
        Stream user = Stream.user("resumer");
        List<Notification> firstHundred = IntStream.rangeClosed(1, 100).mapToObj(i -> publish(user, i)).toList();
        CompletableFuture<Void> publishing = CompletableFuture.runAsync(
                () -> IntStream.rangeClosed(101, count).forEach(i -> publish(user, i)), executor);
        RecordingPeer peer = open(user, firstHundred.get(99).id());
        publishing.get(30, TimeUnit.SECONDS);
        Await.until("all " + (count - 100) + " arrived", Duration.ofSeconds(20), () -> peer.frames.size() >= count - 100);
        assertEquals(IntStream.rangeClosed(101, count).boxed().toList(), OutboxTest.sequences(peer));
    }
}
