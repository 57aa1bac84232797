package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.Stream;
import dev.herald.testing.Await;
import dev.herald.testing.RedisServer;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
            RecordingPeer inbox = new RecordingPeer(true);
            registry.open(List.of(user), Map.of(), inbox, OutboxTest.frames(10_000), Instant.MAX, true);
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
            // the changes told while the subscriber was gone are lost; the catch-ups re-read the counts
            Await.until("the inbox's last frame is its counts", Duration.ofSeconds(20),
                    () -> inbox.frames.get(inbox.frames.size() - 1).equals(InboxFrames.counts(new Inbox.Counts(600, 600, 600))));
            List<String> received;
            synchronized (inbox.frames) { // a later catch-up may still be sending counts
                received = List.copyOf(inbox.frames);
            }
            assertEquals(IntStream.rangeClosed(1, 600).boxed().toList(), received.stream()
                    .filter(frame -> !frame.startsWith("{\"herald\""))
                    .map(frame -> Integer.parseInt(frame.replaceAll(".*\"n\":(\\d+)}", "$1"))).toList(),
                    "every notification once, in order, between the control frames");
        }
    }

    @Test
    void aSessionHearsEveryInboxChangeMadeOnAnotherNodeAfterTheNotificationsThatCausedThem() {
        try (RedisServer redis = RedisServer.start(); RedisBroker otherNode = redisBroker(redis)) {
            start(redisBroker(redis));
            Outboxes otherRegistry = new Outboxes(otherNode, executor);
            otherNode.start(otherRegistry);
            Await.until("both nodes subscribed", Duration.ofSeconds(20), () -> broker.isReady() && otherNode.isReady());
            Stream user = Stream.user("tabs");
            RecordingPeer inbox = new RecordingPeer(true);
            otherRegistry.open(List.of(user), Map.of(), inbox, OutboxTest.frames(100), Instant.MAX, true);

            Notification first = publish(user, 1);
            broker.inbox().mark("tabs", Inbox.Mark.READ, List.of(first.id()));
            broker.inbox().delete("tabs", first.id(), Inbox.Remover.USER);
            Await.until("seven frames", Duration.ofSeconds(10), () -> inbox.frames.size() >= 7);
            assertEquals(List.of(
                    InboxFrames.counts(Inbox.Counts.NONE),
                    first.frame(), InboxFrames.counts(new Inbox.Counts(1, 1, 1)),
                    "{\"herald\":\"state\",\"ids\":[\"" + first.id() + "\"],\"read\":true,\"seen\":true}",
                    InboxFrames.counts(new Inbox.Counts(0, 0, 1)),
                    "{\"herald\":\"deleted\",\"id\":\"" + first.id() + "\"}", InboxFrames.counts(Inbox.Counts.NONE)), inbox.frames);
        }
    }

}
