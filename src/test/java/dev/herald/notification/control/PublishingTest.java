package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.IdempotencyKey;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import dev.herald.security.entity.Caller;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The publish rate limit as configured: per caller, or off with a rate of 0. */
class PublishingTest {

    private static final Stream USER = Stream.user("u");

    private static Publishing publishing(int rateLimit, int burst) {
        Publishing publishing = new Publishing();
        publishing.broker = new MemoryBroker(100);
        publishing.telemetry = new Telemetry.None();
        publishing.rateLimit = rateLimit;
        publishing.burst = burst;
        return publishing;
    }

    private static Caller caller(String name) {
        return new Caller(name, Set.of("publisher"), Instant.now().plusSeconds(3600));
    }

    @Test
    void eachCallerHasItsOwnBucket() {
        Publishing publishing = publishing(1, 2);
        publishing.publish(caller("a"), new Broker.Publication(USER, Payload.parse("{}")));
        publishing.publish(caller("a"), new Broker.Publication(USER, Payload.parse("{}")));
        RateLimitedException refused = assertThrows(RateLimitedException.class,
                () -> publishing.publish(caller("a"), new Broker.Publication(USER, Payload.parse("{}"))));
        assertEquals("over the publish rate limit (herald.publish.rate-limit 1/s, burst 2)", refused.getMessage());
        publishing.publish(caller("b"), new Broker.Publication(USER, Payload.parse("{}")));
    }

    @Test
    void withAMaxAgeNothingLivesLongerButAnEarlierExpiryStays() {
        Publishing publishing = publishing(0, 1);
        publishing.maxAge = Optional.of(Duration.ofHours(1));
        long before = System.currentTimeMillis();
        long soon = before + 60_000;
        List<Broker.Published> sent = publishing.publish(caller("a"), List.of(new Broker.Publication(USER, Payload.parse("{}")),
                new Broker.Publication(USER, Payload.parse("{}"), null, soon),
                new Broker.Publication(USER, Payload.parse("{}"), null, before + Duration.ofDays(1).toMillis())));
        long after = System.currentTimeMillis();
        for (int capped : new int[] {0, 2}) {
            long expiresAt = sent.get(capped).notification().expiresAt();
            assertTrue(expiresAt >= before + 3_600_000 && expiresAt <= after + 3_600_000, capped + ": " + expiresAt);
        }
        assertEquals(soon, sent.get(1).notification().expiresAt());
    }

    @Test
    void aRateOfZeroIsNoLimit() {
        Publishing publishing = publishing(0, 1);
        for (int i = 0; i < 50; i++) {
            publishing.publish(caller("a"), new Broker.Publication(USER, Payload.parse("{\"n\":" + i + "}")));
        }
        assertEquals(50, publishing.broker.history(USER, null, 100).size());
    }

    @Test
    void replaysOfAnIdempotencyKeyAreNeitherCountedNorTimed() {
        Publishing publishing = publishing(0, 1);
        List<String> reported = new ArrayList<>();
        publishing.telemetry = new Telemetry.None() {
            @Override
            public void published(Map<Stream.Kind, Long> byKind, Duration took) {
                reported.add(byKind.toString());
            }
        };
        Broker.Publication order = new Broker.Publication(USER, Payload.parse("{}"), new IdempotencyKey("a", "order-1"));
        publishing.publish(caller("a"), order);
        publishing.publish(caller("a"), order);
        publishing.publish(caller("a"), List.of(order, new Broker.Publication(Stream.BROADCAST, Payload.parse("{}")),
                new Broker.Publication(Stream.group("region:us"), Payload.parse("{}")),
                new Broker.Publication(Stream.group("region:eu"), Payload.parse("{}"))));
        assertEquals(List.of("{USER=1}", "{GROUP=2, BROADCAST=1}"), reported, "counted by kind of stream, replays left out");
    }
}
