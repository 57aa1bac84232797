package dev.herald.deploy;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.testing.Await;
import dev.herald.testing.HeraldMetrics;
import dev.herald.testing.HeraldNode;
import dev.herald.testing.RedisServer;
import dev.herald.testing.ServerRuntime;
import dev.herald.testing.TestSocket;
import dev.herald.testing.TestTokens;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The black-box suite every supported server must pass with the same {@code target/herald.war}, byte for byte:
 * the server is chosen with {@code -Dherald.server} ({@link ServerRuntime}), Herald is configured only through
 * environment variables, and everything is checked from outside over HTTP and WebSocket against a real, durable
 * redis-server. {@code ./mvnw verify} runs it on Payara Micro; {@code -Pliberty} and {@code -Pwildfly} add
 * Open Liberty and WildFly. Every test uses its own user ids, so order does not matter.
 */
class PortableIT {

    private static final Duration FRAME = Duration.ofSeconds(10);
    private static final Duration QUIET = Duration.ofMillis(500);
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private static final ServerRuntime SERVER = ServerRuntime.selected();

    private static RedisServer redis;
    private static HeraldNode node;

    @BeforeAll
    static void start() {
        redis = RedisServer.startDurable();
        node = HeraldNode.create(SERVER, SERVER.id(), "portable", redis.uri(), Map.of());
        node.start();
        System.out.printf("%s: ready in %.1f s (log %s)%n", SERVER, node.bootTime().toMillis() / 1000.0, node.log());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void the_server_runs_the_war_the_build_produced_byte_for_byte() throws IOException {
        Path built = Path.of(System.getProperty("herald.war", "target/herald.war"));
        assertEquals(sha256(built), sha256(node.deployedWar()), () -> node.deployedWar() + " vs " + built);
    }

    @Test
    void a_notification_reaches_only_its_users_sockets_with_id_and_ts_and_is_kept_in_history() {
        String alice = freshUser();
        String bob = freshUser();
        JsonObject posted = Json.createObjectBuilder().add("title", "Alert").add("message", "Server rebooted").add("user_id", 1).build();
        try (TestSocket aliceSocket = TestSocket.connect(userSocket(alice, null));
             TestSocket bobSocket = TestSocket.connect(userSocket(bob, null))) {
            Reply reply = post("notify/" + alice, TestTokens.publisher(), posted.toString());
            assertEquals(202, reply.status(), reply::toString);
            String id = reply.json().asJsonObject().getString("id", "");

            JsonObject frame = parse(aliceSocket.next(FRAME)).asJsonObject();
            posted.forEach((key, value) -> assertEquals(value, frame.get(key), () -> "field " + key + " of " + frame));
            assertEquals(id, frame.getString("id", null), frame::toString);
            assertEquals(Long.parseLong(id.substring(0, id.indexOf('-'))), Instant.parse(frame.getString("ts")).toEpochMilli(),
                    () -> "ts is the id's time: " + frame);
            bobSocket.assertNothingWithin(QUIET);

            JsonArray history = get("history/" + alice, TestTokens.token(alice)).json().asJsonArray();
            assertEquals(List.of(frame), history, "the user's history holds the frame");
            assertEquals(0, get("history/" + bob, TestTokens.token(bob)).json().asJsonArray().size(), "bob's is empty");
        }
    }

    @Test
    void a_broadcast_reaches_a_socket_on_the_broadcast_endpoint() {
        String marker = UUID.randomUUID().toString();
        try (TestSocket socket = TestSocket.connect(ws("ws/notifications?token=" + TestTokens.token("listener")))) {
            Reply reply = post("notify", TestTokens.publisher(), "{\"marker\":\"" + marker + "\"}");
            assertEquals(202, reply.status(), reply::toString);
            JsonObject frame = parse(socket.next(FRAME)).asJsonObject();
            assertEquals(marker, frame.getString("marker", null), frame::toString);
            assertEquals(reply.json().asJsonObject().getString("id"), frame.getString("id", null), frame::toString);
        }
    }

    @Test
    void history_pages_and_since_replays_exactly_what_came_after_then_continues_live() {
        String user = freshUser();
        List<String> ids = IntStream.range(0, 5).mapToObj(n -> publish(user, n)).toList();

        assertEquals(List.of(3, 4), numbers(get("history/" + user + "?limit=2", TestTokens.admin())), "the newest 2");
        assertEquals(List.of(2, 3), numbers(get("history/" + user + "?after=" + ids.get(1) + "&limit=2", TestTokens.admin())),
                "the first 2 after the second");
        try (TestSocket all = TestSocket.connect(userSocket(user, "0"));
             TestSocket rest = TestSocket.connect(userSocket(user, ids.get(1)))) {
            publish(user, 5);
            assertEquals(List.of(0, 1, 2, 3, 4, 5), numbers(all, 6), "since=0: everything stored, then live");
            assertEquals(List.of(2, 3, 4, 5), numbers(rest, 4), "since=<second id>: the rest, then live");
            all.assertNothingWithin(QUIET);
            rest.assertNothingWithin(QUIET);
        }
    }

    @Test
    void refusals_are_problem_json_with_the_exact_status() {
        String user = freshUser();
        String body = "{\"title\":\"for " + user + "\"}";
        try (TestSocket victim = TestSocket.connect(userSocket(user, null))) {
            assertAll(
                    () -> assertBearerChallenge(assertProblem(401, post("notify/" + user, null, body), "no token")),
                    () -> assertBearerChallenge(assertProblem(401,
                            post("notify/" + user, TestTokens.signedByAnotherKey("p"), body), "bad signature")),
                    () -> assertProblem(401, post("notify/" + user, TestTokens.unsigned("p"), body), "alg none"),
                    () -> assertProblem(403, post("notify/" + user, TestTokens.token("p"), body), "no publisher group"),
                    () -> assertProblem(403, get("history/" + user, TestTokens.token("mallory")), "another user's history"),
                    () -> assertProblem(401, get("history/" + user, null), "history without a token"),
                    () -> assertEquals("no such route", assertProblem(404, get("no/such/route", TestTokens.admin()),
                            "unknown route").json().asJsonObject().getString("detail"), "the same words on every server"),
                    () -> assertProblem(404, post("dev/token?user=root&groups=admin", null, ""), "development tokens"),
                    () -> assertProblem(405, get("notify", TestTokens.publisher()), "GET on a POST route"),
                    () -> assertProblem(400, post("notify/" + user, TestTokens.publisher(), "not json"), "body not JSON"),
                    () -> assertProblem(400, post("notify/bad%20id", TestTokens.publisher(), body), "bad user id"),
                    () -> assertProblem(415, send("POST", "notify/" + user, TestTokens.publisher(), "text/plain", body),
                            "text/plain"));
            victim.assertNothingWithin(QUIET);
        }
    }

    @Test
    void handshakes_without_a_valid_token_for_that_user_are_refused() {
        String user = freshUser();
        assertAll(
                () -> assertHandshakeRefused(401, ws("ws/notifications/" + user), "no token"),
                () -> assertHandshakeRefused(401, ws("ws/notifications/" + user + "?token=" + TestTokens.signedByAnotherKey(user)),
                        "bad signature"),
                () -> assertHandshakeRefused(403, ws("ws/notifications/" + user + "?token=" + TestTokens.token("mallory")),
                        "another user's socket"),
                () -> assertHandshakeRefused(401, ws("ws/notifications"), "broadcast without a token"));
    }

    @Test
    void metrics_count_publishes_and_deliveries_where_the_server_has_microprofile_metrics() {
        if (!SERVER.hasMetrics()) {
            // WildFly 39 ships no MicroProfile Metrics: Herald deploys without them (Telemetry.None), and /metrics is
            // simply not a route. Every other test of this class runs in full on this server.
            assertProblem(404, get("metrics?scope=application", null), SERVER + " has no MicroProfile Metrics: /metrics");
            System.out.println(SERVER + ": no MicroProfile Metrics on this server; /metrics is absent (404 problem+json)");
            return;
        }
        String user = freshUser();
        Map<String, Double> before = metrics();
        try (TestSocket socket = TestSocket.connect(userSocket(user, null))) {
            publish(user, 0);
            socket.next(FRAME);
            Await.until("one delivery counted", FRAME, () -> delta(before, metrics(), "herald_notifications_delivered_total") >= 1);
            Map<String, Double> after = metrics();
            assertEquals(1, delta(before, after, "herald_notifications_published_total{kind=\"user\"}"), after::toString);
            assertEquals(1, delta(before, after, "herald_notifications_delivered_total"), after::toString);
            assertEquals(1, delta(before, after, "herald_publish_seconds_count"), after::toString);
            assertEquals(1.0, after.get("herald_subscriber_up"), after::toString);
        }
    }

    @Test
    void after_the_subscribers_connection_is_killed_every_notification_arrives_once_in_order() {
        String user = freshUser();
        try (TestSocket socket = TestSocket.connect(userSocket(user, null))) {
            publish(user, 0);
            assertEquals(List.of(0), numbers(socket, 1));
            assertEquals(":1", redis.command("CLIENT", "KILL", "TYPE", "pubsub"), "the node's subscriber connection killed");
            IntStream.rangeClosed(1, 20).forEach(n -> publish(user, n));
            assertEquals(IntStream.rangeClosed(1, 20).boxed().toList(), numbers(socket, 20),
                    "caught up from history after resubscribing: no gap, no duplicate");
            socket.assertNothingWithin(QUIET);
        }
    }

    @Test
    void while_redis_is_down_publishing_answers_503_and_readiness_is_down_then_delivery_resumes_with_nothing_lost() {
        String user = freshUser();
        try (TestSocket survivor = TestSocket.connect(userSocket(user, null))) {
            String before = publish(user, 0);
            assertEquals(List.of(0), numbers(survivor, 1));
            redis.kill();
            try {
                Reply refused = post("notify/" + user, TestTokens.publisher(), "{\"n\":-1}");
                assertProblem(503, refused, "publish while Redis is down");
                assertTrue(refused.headers().firstValue("Retry-After").isPresent(), refused::toString);
                Reply down = awaitStatus(node.health("health/ready"), 503);
                assertEquals("DOWN", check(down, "broker").getString("status", null), down::toString);
            } finally {
                redis.restart();
            }
            Reply up = awaitStatus(node.health("health/ready"), 200);
            assertEquals("UP", check(up, "broker").getString("status", null), up::toString);

            publish(user, 1);
            assertEquals(List.of(1), numbers(survivor, 1), "the socket that lived through the outage");
            try (TestSocket resumed = TestSocket.connect(userSocket(user, before))) {
                assertEquals(List.of(1), numbers(resumed, 1), "since the last id before the outage: exactly what followed");
                resumed.assertNothingWithin(QUIET);
            }
            assertEquals(List.of(0, 1), numbers(get("history/" + user, TestTokens.admin())), "history kept across the restart");
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    /** An HTTP answer; failure messages show all of it. */
    private record Reply(URI uri, int status, java.net.http.HttpHeaders headers, String body) {
        String contentType() {
            return headers.firstValue("Content-Type").orElse("");
        }

        JsonValue json() {
            return parse(body);
        }

        @Override
        public String toString() {
            return status + " " + contentType() + " " + (body.length() > 300 ? body.substring(0, 300) + "…" : body) + " (" + uri + ")";
        }
    }

    private static Reply assertProblem(int status, Reply reply, String what) {
        assertEquals(status, reply.status(), () -> what + ": " + reply);
        assertTrue(reply.contentType().startsWith("application/problem+json"), () -> what + ": " + reply);
        JsonObject problem = reply.json().asJsonObject();
        assertEquals(status, problem.getInt("status", -1), () -> what + ": " + reply);
        assertFalse(problem.getString("detail", "").isBlank(), () -> what + ": no detail in " + reply);
        return reply;
    }

    private static void assertBearerChallenge(Reply reply) {
        assertTrue(reply.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), reply::toString);
    }

    private static void assertHandshakeRefused(int status, URI uri, String what) {
        TestSocket.HandshakeFailure failure = assertThrows(TestSocket.HandshakeFailure.class,
                () -> TestSocket.connect(uri).close(), what + ": the handshake is refused");
        assertEquals(status, failure.status(), () -> what + ": " + failure.getMessage());
    }

    private static String freshUser() {
        return "u-" + UUID.randomUUID();
    }

    private static URI ws(String path) {
        return node.ws(path);
    }

    private static URI userSocket(String user, String since) {
        return ws("ws/notifications/" + user + "?token=" + TestTokens.token(user) + (since == null ? "" : "&since=" + since));
    }

    /** Publishes {@code {"n": n}} to the user, asserting the 202; returns the id. */
    private static String publish(String user, int n) {
        Reply reply = post("notify/" + user, TestTokens.publisher(), "{\"title\":\"Numbered\",\"n\":" + n + "}");
        assertEquals(202, reply.status(), () -> "publish n=" + n + ": " + reply);
        return reply.json().asJsonObject().getString("id");
    }

    /** The next {@code count} frames' {@code n}. */
    private static List<Integer> numbers(TestSocket socket, int count) {
        return IntStream.range(0, count).mapToObj(i -> parse(socket.next(FRAME)).asJsonObject().getInt("n", -1)).toList();
    }

    private static List<Integer> numbers(Reply history) {
        assertEquals(200, history.status(), history::toString);
        return history.json().asJsonArray().getValuesAs(JsonObject.class).stream().map(o -> o.getInt("n")).toList();
    }

    private static Reply post(String path, String token, String json) {
        return send("POST", path, token, "application/json", json);
    }

    private static Reply get(String path, String token) {
        return send("GET", path, token, null, null);
    }

    private static Reply send(String method, String path, String token, String contentType, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(node.http(path)).timeout(FRAME)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return exchange(request.build());
    }

    private static Reply exchange(HttpRequest request) {
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return new Reply(request.uri(), response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new AssertionError(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static Reply awaitStatus(URI uri, int status) {
        Instant deadline = Instant.now().plusSeconds(20);
        Reply last = exchange(HttpRequest.newBuilder(uri).timeout(FRAME).GET().build());
        while (last.status() != status) {
            if (Instant.now().isAfter(deadline)) {
                fail(uri + " did not answer " + status + " within 20 s; last answer: " + last);
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            last = exchange(HttpRequest.newBuilder(uri).timeout(FRAME).GET().build());
        }
        return last;
    }

    /** One named check of a MicroProfile Health answer (WildFly adds its own server checks to Herald's). */
    private static JsonObject check(Reply health, String name) {
        return health.json().asJsonObject().getJsonArray("checks").getValuesAs(JsonObject.class).stream()
                .filter(check -> name.equals(check.getString("name", null)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no check named " + name + " in " + health));
    }

    /** Herald's series in the server's Prometheus text. */
    private static Map<String, Double> metrics() {
        Reply reply = get("metrics?scope=application", null);
        assertEquals(200, reply.status(), reply::toString);
        return HeraldMetrics.parse(reply.body());
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String series) {
        assertTrue(after.containsKey(series), () -> "no series " + series + " in " + after);
        return after.get(series) - before.getOrDefault(series, 0.0);
    }

    private static JsonValue parse(String text) {
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            return reader.readValue();
        } catch (RuntimeException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
