package dev.herald.deploy;

import static dev.herald.testing.HeraldMetrics.delta;
import static dev.herald.testing.Http.assertBearerChallenge;
import static dev.herald.testing.Http.assertProblem;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.testing.HeraldMetrics;
import dev.herald.testing.HeraldNode;
import dev.herald.testing.Http;
import dev.herald.testing.Http.Reply;
import dev.herald.testing.JsonText;
import dev.herald.testing.RedisServer;
import dev.herald.testing.ServerRuntime;
import dev.herald.testing.TestSocket;
import dev.herald.testing.TestTokens;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIf;

/**
 * The black-box suite every supported server must pass with the same {@code target/herald.war}, byte for byte:
 * the server is chosen with {@code -Dherald.server} ({@link ServerRuntime}), Herald is configured only through
 * environment variables, and everything is checked from outside over HTTP and WebSocket against a real, durable
 * redis-server. {@code ./mvnw verify} runs it on Payara Micro; {@code -Pliberty} and {@code -Pwildfly} add
 * Open Liberty and WildFly. Every test uses its own user ids, so order does not matter.
 * <p>
 * On Payara Micro it adds only what HeraldIT (the same WAR there, through Arquillian) does not check: the tests
 * HeraldIT repeats are disabled there ({@link #onPayaraMicro()}), each naming the HeraldIT tests that cover it.
 * On Open Liberty and WildFly every test runs.
 */
class PortableIT {

    private static final Duration FRAME = Duration.ofSeconds(10);
    private static final Duration QUIET = Duration.ofMillis(500);
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
    @DisabledIf(value = "onPayaraMicro", disabledReason = "on Payara Micro HeraldIT covers it: "
            + "a_notification_posted_to_a_user_reaches_its_socket_unchanged_with_id_and_ts_and_is_kept_in_history, "
            + "a_user_never_receives_another_users_notification, history_pages_oldest_first_by_limit_and_after "
            + "(and SecurityIT.historyIsForItsUserAndAdminsOnly: a user reads their own)")
    void a_notification_reaches_only_its_users_sockets_with_id_and_ts_and_is_kept_in_history() {
        String alice = TestTokens.freshUser();
        String bob = TestTokens.freshUser();
        JsonObject posted = Json.createObjectBuilder().add("title", "Alert").add("message", "Server rebooted").add("user_id", 1).build();
        try (TestSocket aliceSocket = TestSocket.connect(userSocket(alice, null));
             TestSocket bobSocket = TestSocket.connect(userSocket(bob, null))) {
            Reply reply = post("notify/" + alice, TestTokens.publisher(), posted.toString());
            assertEquals(202, reply.status(), reply::toString);
            String id = reply.json().getString("id", "");

            JsonObject frame = JsonText.object(aliceSocket.next(FRAME));
            posted.forEach((key, value) -> assertEquals(value, frame.get(key), () -> "field " + key + " of " + frame));
            assertEquals(id, frame.getString("id", null), frame::toString);
            assertEquals(Long.parseLong(id.substring(0, id.indexOf('-'))), Instant.parse(frame.getString("ts")).toEpochMilli(),
                    () -> "ts is the id's time: " + frame);
            bobSocket.assertNothingWithin(QUIET);

            JsonArray history = get("history/" + alice, TestTokens.token(alice)).jsonArray();
            assertEquals(List.of(frame), history, "the user's history holds the frame");
            assertEquals(0, get("history/" + bob, TestTokens.token(bob)).jsonArray().size(), "bob's is empty");
        }
    }

    @Test
    @DisabledIf(value = "onPayaraMicro", disabledReason = "on Payara Micro HeraldIT covers it: "
            + "a_broadcast_reaches_a_socket_on_the_broadcast_endpoint")
    void a_broadcast_reaches_a_socket_on_the_broadcast_endpoint() {
        String marker = UUID.randomUUID().toString();
        try (TestSocket socket = TestSocket.connect(node.endpoints().broadcastSocket(null))) {
            Reply reply = post("notify", TestTokens.publisher(), "{\"marker\":\"" + marker + "\"}");
            assertEquals(202, reply.status(), reply::toString);
            JsonObject frame = JsonText.object(socket.next(FRAME));
            assertEquals(marker, frame.getString("marker", null), frame::toString);
            assertEquals(reply.json().getString("id"), frame.getString("id", null), frame::toString);
        }
    }

    @Test
    @DisabledIf(value = "onPayaraMicro", disabledReason = "on Payara Micro HeraldIT covers it: "
            + "history_pages_oldest_first_by_limit_and_after, a_notification_published_before_connecting_is_replayed_with_since_0, "
            + "a_client_resuming_with_since_while_notifications_keep_coming_gets_exactly_the_rest_in_order")
    void history_pages_and_since_replays_exactly_what_came_after_then_continues_live() {
        String user = TestTokens.freshUser();
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
    @DisabledIf(value = "onPayaraMicro", disabledReason = "on Payara Micro HeraldIT covers it: "
            + "an_inbox_lists_entries_as_history_has_them_with_their_state_and_every_mark_answers_with_the_new_counts, "
            + "a_user_deletes_from_their_inbox_and_a_publisher_retracts_and_each_is_gone_from_history_and_counted, "
            + "bad_inbox_requests_get_a_problem_json_answer_never_a_500")
    void inbox_counts_and_marks_answer_with_the_new_counts_and_a_publisher_retracts_beside_the_publish_routes() {
        String user = TestTokens.freshUser();
        String token = TestTokens.token(user);
        List<String> ids = IntStream.range(0, 3).mapToObj(n -> publish(user, n)).toList();
        assertEquals(counts(3, 3, 3), ok(get("inbox/" + user + "/counts", token)));
        assertEquals(counts(2, 2, 3), ok(post("inbox/" + user + "/read", token, "{\"ids\":[\"" + ids.get(0) + "\"]}")));
        assertEquals(counts(0, 0, 3), ok(post("inbox/" + user + "/read", TestTokens.admin(), "{\"upTo\":\"" + ids.get(2) + "\"}")),
                "an admin marks all read");
        assertEquals(counts(1, 0, 3), ok(post("inbox/" + user + "/unread", token, "{\"ids\":[\"" + ids.get(1) + "\"]}")));
        Reply unread = get("inbox/" + user + "?status=unread", token);
        assertEquals(List.of(1), numbers(unread));
        JsonObject entry = unread.jsonArray().getJsonObject(0);
        assertEquals(List.of(false, true, false), List.of(entry.getBoolean("read"), entry.getBoolean("seen"), entry.getBoolean("archived")),
                entry::toString);

        // the retract route sits beside POST /notify/{userId} and /notify/group/{group}: both must still be reached
        assertEquals(counts(1, 0, 2), ok(Http.delete(node.http("notify/" + user + "/" + ids.get(2)), TestTokens.publisher())));
        assertEquals(202, post("notify/group/team:" + user, TestTokens.publisher(), "{}").status(), "a group publish");
        assertEquals(counts(0, 0, 1), ok(Http.delete(node.http("inbox/" + user + "/" + ids.get(1)), token)));
        String toUserGroup = post("notify/group", TestTokens.publisher(), "{}").json().getString("id");
        assertEquals(200, Http.delete(node.http("notify/group/" + toUserGroup), TestTokens.publisher()).status(),
                "DELETE /notify/group/<id> retracts from the user named group (no group route takes DELETE)");
        assertEquals(List.of(0), numbers(get("history/" + user, token)), "deleted and retracted are gone from history");
        assertAll(
                () -> assertProblem(404, Http.delete(node.http("inbox/" + user + "/" + ids.get(1)), token), "deleted already"),
                () -> assertProblem(404, Http.delete(node.http("notify/" + user + "/" + ids.get(2)), TestTokens.publisher()), "retracted"),
                () -> assertProblem(403, Http.delete(node.http("notify/" + user + "/" + ids.get(0)), token), "a user does not retract"),
                () -> assertProblem(403, get("inbox/" + user + "/counts", TestTokens.token("mallory")), "another user's counts"),
                () -> assertProblem(401, get("inbox/" + user, null), "no token"),
                () -> assertProblem(400, post("inbox/" + user + "/read", token, "{}"), "neither ids nor upTo"),
                () -> assertProblem(400, get("inbox/" + user + "?status=x", token), "no such status"),
                () -> assertProblem(400, Http.delete(node.http("inbox/" + user + "/x"), token), "not an id"),
                () -> assertProblem(415, Http.send("POST", node.http("inbox/" + user + "/read"), token, "text/plain", "{}"), "text/plain"),
                () -> assertProblem(405, get("inbox/" + user + "/" + ids.get(0), token), "GET on a DELETE route"));
    }

    private static JsonObject counts(int unread, int unseen, int total) {
        return Json.createObjectBuilder().add("unread", unread).add("unseen", unseen).add("total", total).build();
    }

    private static JsonObject ok(Reply reply) {
        assertEquals(200, reply.status(), reply::toString);
        return reply.json();
    }

    @Test
    void refusals_are_problem_json_with_the_exact_status() {
        String user = TestTokens.freshUser();
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
                            "unknown route").json().getString("detail"), "the same words on every server"),
                    () -> assertProblem(404, post("dev/token?user=root&groups=admin", null, ""), "development tokens"),
                    () -> assertProblem(405, get("notify", TestTokens.publisher()), "GET on a POST route"),
                    () -> assertProblem(400, post("notify/" + user, TestTokens.publisher(), "not json"), "body not JSON"),
                    () -> assertProblem(400, post("notify/bad%20id", TestTokens.publisher(), body), "bad user id"),
                    () -> assertProblem(415, Http.send("POST", node.http("notify/" + user), TestTokens.publisher(), "text/plain", body),
                            "text/plain"));
            victim.assertNothingWithin(QUIET);
        }
    }

    @Test
    void the_openapi_document_has_every_route_with_its_answers_from_the_static_file_and_the_annotations() {
        Reply reply = Http.send(HttpRequest.newBuilder(node.http("openapi")).header("Accept", "application/json").build());
        assertEquals(200, reply.status(), reply::toString);
        JsonObject document = reply.json();
        List<String> publish = List.of("202", "400", "401", "403", "413", "415", "422", "429", "503", "504");
        Map<String, List<String>> expected = Map.of(
                "/notify", publish, "/notify/{userId}", publish, "/notify/group/{group}", publish,
                "/notify-batch", List.of("202", "207", "400", "401", "403", "413", "415", "422", "429", "503", "504"),
                "/history/{userId}", List.of("200", "400", "401", "403", "503"),
                "/history/group/{group}", List.of("200", "400", "401", "403", "503"));
        JsonObject paths = document.getJsonObject("paths");
        assertAll(expected.entrySet().stream().map(route -> () -> {
            JsonObject operation = paths.getJsonObject(route.getKey()).getJsonObject(route.getKey().startsWith("/history") ? "get" : "post");
            assertEquals(route.getValue().stream().sorted().toList(), operation.getJsonObject("responses").keySet().stream().sorted().toList(),
                    route.getKey());
        }));
        List<String> read = List.of("200", "400", "401", "403", "503");
        List<String> mark = List.of("200", "400", "401", "403", "413", "415", "503");
        List<String> delete = List.of("200", "400", "401", "403", "404", "503");
        Map<String, List<String>> inbox = new TreeMap<>(Map.of("get /inbox/{userId}", read, "get /inbox/{userId}/counts", read,
                "delete /inbox/{userId}/{id}", delete, "delete /notify/{userId}/{id}", delete));
        for (String each : List.of("read", "unread", "seen", "archive", "unarchive")) {
            inbox.put("post /inbox/{userId}/" + each, mark);
        }
        assertAll(inbox.entrySet().stream().map(route -> () -> {
            String[] methodAndPath = route.getKey().split(" ");
            JsonObject operation = paths.getJsonObject(methodAndPath[1]).getJsonObject(methodAndPath[0]);
            assertEquals(route.getValue(), operation.getJsonObject("responses").keySet().stream().sorted().toList(), route.getKey());
        }));
        assertTrue(document.getJsonObject("components").getJsonObject("responses").containsKey("PublishUnconfirmed"),
                "META-INF/openapi.yaml was read: " + document.getJsonObject("components").keySet());
        for (String route : List.of("/notify", "/notify/{userId}", "/notify/group/{group}")) {
            JsonArray parameters = paths.getJsonObject(route).getJsonObject("post").getJsonArray("parameters");
            for (String header : List.of("Idempotency-Key", "Herald-Expires")) {
                assertTrue(parameters.getValuesAs(JsonObject.class).stream().anyMatch(parameter ->
                        header.equals(parameter.getString("name", null)) && "header".equals(parameter.getString("in", null))),
                        () -> route + " documents the " + header + " header: " + parameters);
            }
        }
    }

    @Test
    void a_group_notification_is_kept_in_the_groups_history_for_its_members_only_and_not_in_the_users_of_that_name() {
        String group = "region:" + TestTokens.freshUser();
        Reply sent = post("notify/group/" + group, TestTokens.publisher(), "{\"title\":\"Maintenance\",\"n\":1}");
        assertEquals(202, sent.status(), sent::toString);
        assertEquals("Notification sent to group " + group, sent.json().getString("detail"), sent::toString);
        Reply batch = post("notify-batch", TestTokens.publisher(), "[{\"group\":\"" + group + "\",\"notification\":{\"n\":2}},"
                + "{\"group\":\"" + group + "\",\"userId\":\"" + group + "\",\"notification\":{\"n\":3}}]");
        assertEquals(207, batch.status(), batch::toString);

        Reply history = get("history/group/" + group, TestTokens.token(TestTokens.freshUser(), "group:" + group));
        assertEquals(List.of(1, 2), numbers(history), "a member reads the group's history");
        assertEquals(sent.json().getString("id"), history.jsonArray().getJsonObject(0).getString("id"), history::toString);
        assertAll(
                () -> assertEquals(List.of(1, 2), numbers(get("history/group/" + group, TestTokens.admin())), "an admin"),
                () -> assertProblem(403, get("history/group/" + group, TestTokens.token(group, "group:other")), "a non-member"),
                () -> assertProblem(401, get("history/group/" + group, null), "no token"),
                () -> assertProblem(400, post("notify/group/bad%20name", TestTokens.publisher(), "{}"), "a bad group name"),
                () -> assertEquals(List.of(), numbers(get("history/" + group, TestTokens.token(group))), "the user of that name"));
    }

    @Test
    void a_members_socket_carries_its_stream_and_its_group_with_cursors_and_resumes_from_a_cursor_with_exactly_what_it_missed() {
        String user = TestTokens.freshUser();
        String group = "team:" + TestTokens.freshUser();
        String token = TestTokens.token(user, "group:" + group);
        String path = "ws/notifications/" + user + "?groups=" + group + "&token=" + token;
        Map<Integer, String> ids = new HashMap<>();
        String cursor;
        try (TestSocket socket = TestSocket.connect(ws(path))) {
            ids.put(1, accepted(post("notify/group/" + group, TestTokens.publisher(), "{\"n\":1}")));
            ids.put(2, accepted(post("notify/" + user, TestTokens.publisher(), "{\"n\":2}")));
            List<JsonObject> frames = frames(socket, 2, ids);
            assertEquals(Map.of("group:" + group, List.of(1), "user", List.of(2)), byStream(frames), frames::toString);
            cursor = frames.get(1).getString("cursor");
        }
        ids.put(3, accepted(post("notify/group/" + group, TestTokens.publisher(), "{\"n\":3}")));
        ids.put(4, accepted(post("notify/" + user, TestTokens.publisher(), "{\"n\":4}")));
        ids.put(5, accepted(post("notify/group/" + group, TestTokens.publisher(), "{\"n\":5}")));
        try (TestSocket resumed = TestSocket.connect(ws(path + "&since=" + cursor))) {
            ids.put(6, accepted(post("notify/group/" + group, TestTokens.publisher(), "{\"n\":6}")));
            List<JsonObject> frames = frames(resumed, 4, ids);
            assertEquals(Map.of("group:" + group, List.of(3, 5, 6), "user", List.of(4)), byStream(frames),
                    () -> "since=<cursor of the last frame>: exactly what was missed, then live: " + frames);
            resumed.assertNothingWithin(QUIET);
        }
        assertAll(
                () -> TestSocket.assertRefusedWithProblem(400, ws(path + "&since=" + ids.get(4)), "since=<plain id> on two streams"),
                () -> TestSocket.assertRefusedWithProblem(403, ws("ws/notifications/" + user + "?groups=" + group + ",other&token=" + token),
                        "a group the token does not grant"),
                () -> assertProblem(400, post("notify/group/" + group, TestTokens.publisher(), "{\"cursor\":\"x\"}"), "a body with cursor"));
    }

    /** The next {@code count} frames of a multi-stream socket, each with its stream, a URL-safe cursor and the 202's id. */
    private static List<JsonObject> frames(TestSocket socket, int count, Map<Integer, String> ids) {
        List<JsonObject> frames = IntStream.range(0, count).mapToObj(i -> JsonText.object(socket.next(FRAME))).toList();
        for (JsonObject frame : frames) {
            assertEquals(Set.of("id", "ts", "stream", "cursor", "n"), frame.keySet(), frame::toString);
            assertTrue(frame.getString("cursor").matches("[A-Za-z0-9_.-]+"), frame::toString);
            assertEquals(ids.get(frame.getInt("n")), frame.getString("id"), frame::toString);
        }
        return frames;
    }

    /** Each stream's {@code n}, in arrival order. */
    private static Map<String, List<Integer>> byStream(List<JsonObject> frames) {
        Map<String, List<Integer>> byStream = new TreeMap<>();
        frames.forEach(frame -> byStream.computeIfAbsent(frame.getString("stream"), k -> new ArrayList<>()).add(frame.getInt("n")));
        return byStream;
    }

    private static String accepted(Reply reply) {
        assertEquals(202, reply.status(), reply::toString);
        return reply.json().getString("id");
    }

    /** Each server negotiates subprotocols its own way; Herald's configurator decides, the same on all three. */
    @Test
    void a_herald_2_socket_gets_its_counts_after_a_publish_and_todays_browser_socket_only_the_notification() {
        String user = TestTokens.freshUser();
        String token = TestTokens.token(user);
        try (TestSocket inbox = TestSocket.connectHerald2(ws("ws/notifications/" + user), token);
             TestSocket today = TestSocket.connect(ws("ws/notifications/" + user), Map.of(), List.of("herald", "bearer." + token))) {
            assertEquals("herald.2", inbox.subprotocol(), "herald.2 selected when offered");
            assertEquals("herald", today.subprotocol(), "herald when only that is offered");
            JsonObject onOpen = JsonText.object(inbox.next(FRAME));
            assertEquals("counts", onOpen.getString("herald", null), onOpen::toString);
            String id = publish(user, 1);
            assertEquals(id, JsonText.object(inbox.next(FRAME)).getString("id", null), inbox::toString);
            JsonObject counts = JsonText.object(inbox.next(FRAME));
            assertEquals(Json.createObjectBuilder().add("herald", "counts").add("unread", 1).add("unseen", 1).add("total", 1).build(),
                    counts, "the counts after the publish");
            assertEquals(id, JsonText.object(today.next(FRAME)).getString("id", null), today::toString);

            assertEquals(counts(0, 0, 1), ok(post("inbox/" + user + "/read", token, "{\"upTo\":\"" + id + "\"}")));
            assertEquals(Json.createObjectBuilder().add("herald", "state").add("upTo", id).add("read", true).add("seen", true).build(),
                    JsonText.object(inbox.next(FRAME)), "the mark");
            assertEquals(Json.createObjectBuilder().add("herald", "counts").add("unread", 0).add("unseen", 0).add("total", 1).build(),
                    JsonText.object(inbox.next(FRAME)), "the counts after marking read");
            today.assertNothingWithin(QUIET);
        }
    }

    @Test
    void handshakes_without_a_valid_token_for_that_user_are_refused() {
        String user = TestTokens.freshUser();
        assertAll(
                () -> TestSocket.assertRefused(401, ws("ws/notifications/" + user), "no token"),
                () -> TestSocket.assertRefused(401, ws("ws/notifications/" + user + "?token=" + TestTokens.signedByAnotherKey(user)),
                        "bad signature"),
                () -> TestSocket.assertRefused(403, ws("ws/notifications/" + user + "?token=" + TestTokens.token("mallory")),
                        "another user's socket"),
                () -> TestSocket.assertRefused(401, ws("ws/notifications"), "broadcast without a token"));
    }

    @Test
    @DisabledIf(value = "onPayaraMicro", disabledReason = "on Payara Micro HeraldIT covers it: "
            + "metrics_count_publishes_deliveries_sessions_and_closes_as_traffic_happens")
    void metrics_count_publishes_and_deliveries_where_the_server_has_microprofile_metrics() {
        if (!SERVER.hasMetrics()) {
            // WildFly 39 ships no MicroProfile Metrics: Herald deploys without them (Telemetry.None), and /metrics is
            // simply not a route. Every other test of this class runs in full on this server.
            assertProblem(404, get("metrics?scope=application", null), SERVER + " has no MicroProfile Metrics: /metrics");
            System.out.println(SERVER + ": no MicroProfile Metrics on this server; /metrics is absent (404 problem+json)");
            return;
        }
        String user = TestTokens.freshUser();
        Map<String, Double> before = metrics();
        try (TestSocket socket = TestSocket.connect(userSocket(user, null))) {
            publish(user, 0);
            socket.next(FRAME);
            Map<String, Double> after = HeraldMetrics.await(node.http("metrics?scope=application"), "one delivery counted", FRAME,
                    m -> delta(before, m, "herald_notifications_delivered_total") >= 1);
            assertEquals(1, delta(before, after, "herald_notifications_published_total{kind=\"user\"}"), after::toString);
            assertEquals(1, delta(before, after, "herald_notifications_delivered_total"), after::toString);
            assertEquals(1, delta(before, after, "herald_publish_seconds_count"), after::toString);
            assertEquals(1.0, after.get("herald_subscriber_up"), after::toString);
        }
    }

    @Test
    void after_the_subscribers_connection_is_killed_every_notification_arrives_once_in_order() {
        String user = TestTokens.freshUser();
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
        String user = TestTokens.freshUser();
        try (TestSocket survivor = TestSocket.connect(userSocket(user, null))) {
            String before = publish(user, 0);
            assertEquals(List.of(0), numbers(survivor, 1));
            redis.kill();
            try {
                Reply refused = post("notify/" + user, TestTokens.publisher(), "{\"n\":-1}");
                assertProblem(503, refused, "publish while Redis is down");
                assertTrue(refused.headers().firstValue("Retry-After").isPresent(), refused::toString);
                Reply down = Http.awaitStatus(node.health("health/ready"), 503, Duration.ofSeconds(20));
                assertEquals("DOWN", Http.healthCheck(down, "broker").getString("status", null), down::toString);
            } finally {
                redis.restart();
            }
            Reply up = Http.awaitStatus(node.health("health/ready"), 200, Duration.ofSeconds(20));
            assertEquals("UP", Http.healthCheck(up, "broker").getString("status", null), up::toString);

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

    /** Whether this run is on Payara Micro, where HeraldIT (Arquillian) already runs the same checks. */
    static boolean onPayaraMicro() {
        return SERVER == ServerRuntime.PAYARA_MICRO;
    }

    private static URI ws(String path) {
        return node.ws(path);
    }

    private static URI userSocket(String user, String since) {
        return node.endpoints().userSocket(user, since);
    }

    /** Publishes {@code {"n": n}} to the user, asserting the 202; returns the id. */
    private static String publish(String user, int n) {
        Reply reply = post("notify/" + user, TestTokens.publisher(), "{\"title\":\"Numbered\",\"n\":" + n + "}");
        assertEquals(202, reply.status(), () -> "publish n=" + n + ": " + reply);
        return reply.json().getString("id");
    }

    /** The next {@code count} frames' {@code n}. */
    private static List<Integer> numbers(TestSocket socket, int count) {
        return IntStream.range(0, count).mapToObj(i -> JsonText.object(socket.next(FRAME)).getInt("n", -1)).toList();
    }

    private static List<Integer> numbers(Reply history) {
        assertEquals(200, history.status(), history::toString);
        return history.jsonArray().getValuesAs(JsonObject.class).stream().map(o -> o.getInt("n")).toList();
    }

    private static Reply post(String path, String token, String json) {
        return Http.post(node.http(path), token, json);
    }

    private static Reply get(String path, String token) {
        return Http.get(node.http(path), token);
    }

    /** Herald's series in the server's Prometheus text. */
    private static Map<String, Double> metrics() {
        return HeraldMetrics.scrape(node.http("metrics?scope=application"));
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
