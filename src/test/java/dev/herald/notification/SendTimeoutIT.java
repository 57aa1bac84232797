package dev.herald.notification;

import static dev.herald.testing.HeraldMetrics.delta;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.testing.HeraldMetrics;
import dev.herald.testing.HeraldNode;
import dev.herald.testing.Http;
import dev.herald.testing.JsonText;
import dev.herald.testing.NodeWithRedis;
import dev.herald.testing.ServerRuntime;
import dev.herald.testing.StalledSocket;
import dev.herald.testing.TestSocket;
import dev.herald.testing.TestTokens;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code herald.websocket.send-timeout} on Payara Micro, whose Tyrus ignores the container's own send timeout: a client
 * that stops reading while large notifications keep coming is closed as too slow once a frame has been in flight
 * longer than the timeout, while the queue limits are set far out of reach, so only the timeout can close it. Its
 * own node (HeraldNode, for the settings and the server log), so nothing else shares the stalled connection's server.
 */
class SendTimeoutIT {

    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(2);
    private static final String PADDING = "x".repeat(60_000);

    private static NodeWithRedis server;
    private static HeraldNode node;

    @BeforeAll
    static void start() {
        server = NodeWithRedis.start(ServerRuntime.PAYARA_MICRO, "send-timeout", "send-timeout", Map.of(
                "HERALD_WEBSOCKET_SEND_TIMEOUT", SEND_TIMEOUT.toString(),
                "HERALD_WEBSOCKET_QUEUE_SIZE", "100000",
                "HERALD_WEBSOCKET_QUEUE_BYTES", "4294967296"));
        node = server.node();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void a_client_that_stops_reading_is_closed_as_slow_after_the_send_timeout_and_the_others_keep_receiving() throws IOException {
        URI metrics = node.endpoints().root("metrics?scope=application");
        try (TestSocket reader = TestSocket.connect(node.endpoints().userSocket("reader", null));
             StalledSocket stalled = StalledSocket.open(node.endpoints().userSocket("stalled", null))) {
            Map<String, Double> before = HeraldMetrics.await(metrics, "both sessions open", Duration.ofSeconds(10),
                    m -> m.getOrDefault("herald_websocket_sessions", 0.0) == 2.0);

            // ~18 MB for a client that reads nothing: far more than the socket buffers on both sides hold
            List<String> toReader = new ArrayList<>();
            for (int i = 1; i <= 300; i++) {
                publish("stalled", "{\"n\":" + i + ",\"padding\":\"" + PADDING + "\"}");
                if (i % 30 == 0) {
                    toReader.add(publish("reader", "{\"n\":" + i + "}"));
                }
            }
            Instant published = Instant.now();

            Map<String, Double> closed = HeraldMetrics.await(metrics, "the stalled session closed as slow", Duration.ofSeconds(30),
                    m -> delta(before, m, "herald_sessions_closed_total{reason=\"slow\"}") >= 1
                            && m.getOrDefault("herald_websocket_sessions", -1.0) == 1.0);
            Duration took = Duration.between(published, Instant.now());
            assertEquals(1, delta(before, closed, "herald_sessions_closed_total{reason=\"slow\"}"), closed::toString);
            assertEquals(0, delta(before, closed, "herald_sessions_closed_total{reason=\"error\"}"), closed::toString);
            assertTrue(stalled.drainUntilClosed(Duration.ofSeconds(30)), "the server ended the stalled connection");

            for (String id : toReader) {
                assertEquals(id, JsonText.object(reader.next(Duration.ofSeconds(10))).getString("id"), "the reader got every frame, in order");
            }
            String after = publish("reader", "{\"after\":true}");
            assertEquals(after, JsonText.object(reader.next(Duration.ofSeconds(10))).getString("id"),
                    "the reader still receives after the stalled session was closed (" + took.toMillis() + " ms after the last publish)");
        }
        String log = Files.readString(node.log());
        assertTrue(log.contains("no-op idle-timeout task per frame is skipped"), "TyrusIdleTimer applied on this Payara Micro (server log)");
        assertFalse(log.contains("idle-task workaround") || log.contains("idle task could not be skipped"), "no TyrusIdleTimer warning in the server log");
    }

    private static String publish(String user, String json) {
        Http.Reply reply = Http.post(node.http("notify/" + user), TestTokens.publisher(), json);
        assertEquals(202, reply.status(), reply::toString);
        return reply.json().getString("id");
    }
}
