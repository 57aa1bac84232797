package dev.herald.notification;

import static dev.herald.testing.HeraldMetrics.delta;
import static dev.herald.testing.Http.assertProblem;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.testing.Await;
import dev.herald.testing.Deployments;
import dev.herald.testing.Endpoints;
import dev.herald.testing.HeraldMetrics;
import dev.herald.testing.Http;
import dev.herald.testing.Http.Reply;
import dev.herald.testing.JsonText;
import dev.herald.testing.RedisServer;
import dev.herald.testing.TestSocket;
import dev.herald.testing.TestTokens;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/**
 * Herald as deployed: the built WAR on Payara Micro, against a real redis-server. One class, one
 * deployment (each boots a Payara Micro JVM). Every test uses its own user ids, so the tests do not
 * depend on each other or on their order, the Redis outage test included.
 * <p>
 * One test runs last all the same: the one whose sockets the server closes. On Payara Micro 6.2025.10 a
 * server-initiated WebSocket close recycles the upgrade request while the client's Close reply can still
 * arrive, which now and then corrupts another connection's request (NullPointerExceptions in the server
 * log, a later request answered 500 or never). Running it last keeps that away from the other tests.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HeraldIT {

    private static final Duration FRAME = Duration.ofSeconds(10);
    private static final Duration QUIET = Duration.ofMillis(500);

    /** Started when the class initialises: Arquillian calls {@link #deployment()} before any JUnit callback. */
    private static final RedisServer redis = Deployments.redisForThisClass();

    @ArquillianResource
    URL base;

    @Deployment(testable = false)
    static WebArchive deployment() {
        // room for the resume test's 205 notifications of one user (the default, 100, would trim them)
        return Deployments.herald(redis, "herald.history.size=1000");
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    // ---------------------------------------------------------------------------------------- the seed's flows

    @Test
    void a_notification_posted_to_a_user_reaches_its_socket_unchanged_with_id_and_ts_and_is_kept_in_history() {
        JsonObject posted = Json.createObjectBuilder()
                .add("title", "Alert").add("message", "Server rebooted").add("user_id", 1).build();
        try (TestSocket socket = TestSocket.connect(userSocket("42", null))) {
            Reply reply = post("notify/42", posted.toString());

            assertEquals(202, reply.status(), reply::toString);
            assertTrue(reply.contentType().startsWith("application/json"), reply::toString);
            JsonObject accepted = reply.json();
            assertEquals("Notification sent to user 42", accepted.getString("detail", null), reply::toString);
            String id = accepted.getString("id", null);
            assertTrue(id != null && id.matches("\\d+-\\d+"), () -> "a stream id like 1732450000000-0 in " + reply);

            String text = socket.next(FRAME);
            JsonObject frame = JsonText.object(text);
            posted.forEach((key, value) -> assertEquals(value, frame.get(key), () -> "field " + key + " of " + text));
            assertEquals(id, frame.getString("id", null), () -> "id of " + text + " vs the 202's " + reply);
            Instant ts = instant(frame.getString("ts", ""), text);
            assertTrue(frame.getString("ts").endsWith("Z"), () -> "ts in UTC: " + text);
            assertEquals(millis(id), ts.toEpochMilli(), () -> "ts is the id's time: " + text);
            Set<String> expectedKeys = new HashSet<>(posted.keySet());
            expectedKeys.addAll(Set.of("id", "ts"));
            assertEquals(expectedKeys, frame.keySet(), () -> "fields of " + text);

            Reply history = get("history/42");
            assertEquals(200, history.status(), history::toString);
            JsonArray entries = history.jsonArray();
            assertFalse(entries.isEmpty(), history::toString);
            assertEquals(frame, entries.get(entries.size() - 1), () -> "last history entry of " + history + " vs frame " + text);
        }
    }

    @Test
    void a_broadcast_reaches_a_socket_on_the_broadcast_endpoint() {
        String marker = UUID.randomUUID().toString();
        try (TestSocket socket = TestSocket.connect(broadcastSocket(null))) {
            Reply reply = post("notify", "{\"title\":\"Maintenance\",\"marker\":\"" + marker + "\"}");

            assertEquals(202, reply.status(), reply::toString);
            assertEquals("Notification queued", reply.json().getString("detail", null), reply::toString);
            String id = reply.json().getString("id", null);
            String text = socket.next(FRAME);
            JsonObject frame = JsonText.object(text);
            assertEquals(id, frame.getString("id", null), () -> text + " vs " + reply);
            assertEquals(marker, frame.getString("marker", null), text);
            assertEquals("Maintenance", frame.getString("title", null), text);
        }
    }

    @Test
    void a_user_never_receives_another_users_notification() {
        String alice = TestTokens.freshUser();
        String bob = TestTokens.freshUser();
        try (TestSocket aliceSocket = TestSocket.connect(userSocket(alice, null));
             TestSocket bobSocket = TestSocket.connect(userSocket(bob, null))) {
            String forAlice = publish(alice, "{\"secret\":\"for alice only\"}");
            String forBob = publish(bob, "{\"marker\":\"for bob\"}");

            String first = bobSocket.next(FRAME);
            assertEquals(forBob, JsonText.object(first).getString("id", null),
                    () -> "bob's first frame must be his marker (" + forBob + "), not alice's " + forAlice + ": " + first);
            assertEquals(forAlice, JsonText.object(aliceSocket.next(FRAME)).getString("id", null), "alice gets her own");
            aliceSocket.assertNothingWithin(QUIET);
            bobSocket.assertNothingWithin(QUIET);
        }
    }

    @Test
    void every_session_of_a_user_receives_every_notification_in_order() {
        String user = TestTokens.freshUser();
        try (TestSocket laptop = TestSocket.connect(userSocket(user, null));
             TestSocket phone = TestSocket.connect(userSocket(user, null))) {
            List<String> ids = IntStream.range(0, 5).mapToObj(n -> publishNumbered(user, n)).toList();

            for (TestSocket socket : List.of(laptop, phone)) {
                for (int n = 0; n < ids.size(); n++) {
                    String text = socket.next(FRAME);
                    JsonObject frame = JsonText.object(text);
                    int expected = n;
                    assertEquals(expected, frame.getInt("n", -1), () -> socket + " frame " + expected + ": " + text);
                    assertEquals(ids.get(expected), frame.getString("id", null), () -> socket + ": " + text);
                }
                socket.assertNothingWithin(QUIET);
            }
        }
    }

    @Test
    void a_notification_published_before_connecting_is_replayed_with_since_0() {
        String user = TestTokens.freshUser();
        String id = publish(user, "{\"title\":\"Alert\",\"message\":\"Server rebooted\"}");
        try (TestSocket socket = TestSocket.connect(userSocket(user, "0"))) {
            String text = socket.next(FRAME);
            JsonObject frame = JsonText.object(text);
            assertEquals(id, frame.getString("id", null), text);
            assertEquals("Server rebooted", frame.getString("message", null), text);
            socket.assertNothingWithin(QUIET);
        }
    }

    // ---------------------------------------------------------------------------------------- inbox frames (herald.2)

    @Test
    void a_herald_2_socket_gets_its_counts_on_open_and_after_each_notification_while_todays_sockets_see_only_the_notification() {
        String user = TestTokens.freshUser();
        String token = TestTokens.token(user);
        try (TestSocket inbox = TestSocket.connectHerald2(herald().ws("ws/notifications/" + user), token);
             TestSocket browser = TestSocket.connect(herald().ws("ws/notifications/" + user), Map.of(), List.of("herald", "bearer." + token));
             TestSocket plain = TestSocket.connect(userSocket(user, null));
             TestSocket broadcastOnly = TestSocket.connectHerald2(herald().ws("ws/notifications"), TestTokens.token("listener"))) {
            assertEquals("herald.2", inbox.subprotocol(), "selected whenever offered");
            assertEquals("herald", browser.subprotocol(), "today's browsers get today's protocol");
            assertEquals("herald.2", broadcastOnly.subprotocol(), "accepted on the broadcast endpoint too, where there is no inbox");
            assertEquals(countsFrame(0, 0, 0), JsonText.object(inbox.next(FRAME)), "the counts, once it opened");

            String first = publish(user, "{\"title\":\"Inbox\",\"n\":1}");
            String second = publish(user, "{\"title\":\"Inbox\",\"n\":2}");
            assertEquals(List.of(first, "counts 1", second, "counts 2"),
                    List.of(idOf(inbox.next(FRAME)), "counts " + JsonText.object(inbox.next(FRAME)).getInt("total", -1),
                            idOf(inbox.next(FRAME)), "counts " + JsonText.object(inbox.next(FRAME)).getInt("total", -1)),
                    "each notification, then the counts its publish caused");
            for (TestSocket today : List.of(browser, plain)) {
                assertEquals(List.of(first, second), List.of(idOf(today.next(FRAME)), idOf(today.next(FRAME))), today::toString);
                today.assertNothingWithin(QUIET);
            }
            inbox.assertNothingWithin(QUIET);

            assertEquals(counts(1, 1, 2), mark(user, token, "read", "{\"ids\":[\"" + first + "\"]}"));
            assertEquals(List.of(Json.createObjectBuilder().add("herald", "state").add("ids", Json.createArrayBuilder().add(first))
                            .add("read", true).add("seen", true).build(), countsFrame(1, 1, 2)),
                    List.of(JsonText.object(inbox.next(FRAME)), JsonText.object(inbox.next(FRAME))), "the mark, then its counts");
            assertEquals(counts(0, 0, 1), inboxJson(Http.delete(herald().http("notify/" + user + "/" + second), TestTokens.publisher())));
            assertEquals(List.of(Json.createObjectBuilder().add("herald", "retracted").add("id", second).build(), countsFrame(0, 0, 1)),
                    List.of(JsonText.object(inbox.next(FRAME)), JsonText.object(inbox.next(FRAME))), "the retraction, then its counts");
            for (TestSocket today : List.of(browser, plain, inbox, broadcastOnly)) {
                today.assertNothingWithin(QUIET); // no inbox frames without herald.2 or without the user's stream
            }
        }
        assertProblem(400, post("notify/" + user, "{\"herald\":\"counts\",\"unread\":0}"), "a notification posing as a control frame");
    }

    // ---------------------------------------------------------------------------------------- resume

    @Test
    void a_client_resuming_with_since_while_notifications_keep_coming_gets_exactly_the_rest_in_order() throws Exception {
        String user = TestTokens.freshUser();
        int before = 5;
        int during = 200;

        String lastSeen = null;
        try (TestSocket socket = TestSocket.connect(userSocket(user, "0"))) {
            for (int n = 0; n < before; n++) {
                publishNumbered(user, n);
            }
            for (int n = 0; n < before; n++) {
                String text = socket.next(FRAME);
                JsonObject frame = JsonText.object(text);
                int expected = n;
                assertEquals(expected, frame.getInt("n", -1), () -> "before disconnecting: " + text);
                lastSeen = frame.getString("id");
            }
        } // the client disconnects

        CountDownLatch underWay = new CountDownLatch(1);
        ExecutorService publisher = Executors.newSingleThreadExecutor(r -> new Thread(r, "HeraldIT publisher"));
        try {
            Future<List<String>> published = publisher.submit(() -> {
                List<String> ids = new ArrayList<>(during);
                for (int n = before; n < before + during; n++) {
                    ids.add(publishNumbered(user, n));
                    if (n == before + 20) {
                        underWay.countDown();
                    }
                }
                return ids;
            });
            assertTrue(underWay.await(20, TimeUnit.SECONDS), () -> "the publisher did not get going: " + failureOf(published));

            // reconnect while the publisher is still at work: part replay, part live, merged by the server
            Instant deadline = Instant.now().plusSeconds(60);
            List<Integer> seen = new ArrayList<>(during);
            String previous = lastSeen;
            try (TestSocket socket = TestSocket.connect(userSocket(user, lastSeen))) {
                for (int i = 0; i < during; i++) {
                    Duration left = Duration.between(Instant.now(), deadline);
                    assertTrue(!left.isNegative(), () -> "60 s were not enough; received n=" + seen);
                    String text;
                    try {
                        text = socket.next(left.compareTo(FRAME) < 0 ? left : FRAME);
                    } catch (AssertionError e) {
                        throw new AssertionError("after n=" + seen + " (publisher: " + failureOf(published) + ")", e);
                    }
                    JsonObject frame = JsonText.object(text);
                    int expected = before + i;
                    String id = frame.getString("id", "");
                    seen.add(frame.getInt("n", -1));
                    String after = previous;
                    assertEquals(expected, frame.getInt("n", -1), () -> "n out of sequence (gap or duplicate): " + seen);
                    assertTrue(compareIds(id, after) > 0, () -> "id " + id + " does not follow " + after + ": " + text);
                    previous = id;
                }
                List<String> ids = published.get(30, TimeUnit.SECONDS);
                assertEquals(ids.get(ids.size() - 1), previous, "the last frame is the last notification published");
                socket.assertNothingWithin(QUIET);
            }
        } finally {
            publisher.shutdownNow();
            assertTrue(publisher.awaitTermination(10, TimeUnit.SECONDS), "publisher thread stopped");
        }
    }

    @Test
    @Order(Integer.MAX_VALUE) // last: see the class comment
    void since_beyond_the_newest_id_closes_with_4410_and_a_bad_since_or_user_id_is_refused_with_400() {
        String user = TestTokens.freshUser();
        publish(user, "{\"title\":\"something to resume from\"}");
        Map<String, Double> before = metrics();

        try (TestSocket future = TestSocket.connect(userSocket(user, "99999999999999-0"))) {
            assertEquals(4410, future.awaitClose(FRAME).code(), () -> "since in the future: " + future.closed().join());
            assertFalse(future.awaitClose(FRAME).reason().isBlank(), "a close reason explains 4410");
        }
        assertAll(
                () -> TestSocket.assertRefused(400, userSocket(user, "abc"), "since=abc"),
                () -> TestSocket.assertRefused(400, herald().ws("ws/notifications/bad%20id?token=" + TestTokens.token("bad id")),
                        "bad%20id"),
                () -> TestSocket.assertRefused(400, broadcastSocket("abc"), "broadcast since=abc"));
        Map<String, Double> after = awaitMetrics("the 4410 close counted",
                m -> delta(before, m, "herald_sessions_closed_total{reason=\"gap\"}") >= 1);
        assertEquals(1, delta(before, after, "herald_sessions_closed_total{reason=\"gap\"}"), after::toString);
    }

    // ---------------------------------------------------------------------------------------- history

    @Test
    void history_pages_oldest_first_by_limit_and_after() {
        String user = TestTokens.freshUser();
        Reply empty = get("history/" + user);
        assertEquals(200, empty.status(), empty::toString);
        assertEquals(0, empty.jsonArray().size(), empty::toString);

        List<String> ids = IntStream.range(0, 5).mapToObj(n -> publishNumbered(user, n)).toList();

        assertEquals(List.of(3, 4), numbers(get("history/" + user + "?limit=2")), "the newest 2, oldest first");
        assertEquals(List.of(0, 1, 2, 3, 4), numbers(get("history/" + user)), "everything, oldest first");
        assertEquals(List.of(2, 3), numbers(get("history/" + user + "?after=" + ids.get(1) + "&limit=2")),
                "the first 2 after the second");
        assertEquals(List.of(2, 3, 4), numbers(get("history/" + user + "?after=" + ids.get(1))), "all after the second");
        assertEquals(List.of(), numbers(get("history/" + user + "?after=" + ids.get(4))), "nothing after the newest");

        Reply page = get("history/" + user + "?limit=2");
        assertEquals(ids.subList(3, 5), page.jsonArray().getValuesAs(JsonObject.class).stream()
                .map(o -> o.getString("id")).toList(), page::toString);

        assertAll(List.of("limit=0", "limit=x", "limit=-1", "after=garbage").stream().map(query -> (Executable) () -> {
            Reply reply = get("history/" + user + "?" + query);
            assertProblem(400, reply, query);
        }));
        assertProblem(400, get("history/bad%20id"), "history of an invalid user id");
    }

    // ---------------------------------------------------------------------------------------- inbox

    @Test
    void an_inbox_lists_entries_as_history_has_them_with_their_state_and_every_mark_answers_with_the_new_counts() {
        String user = TestTokens.freshUser();
        String token = TestTokens.token(user);
        assertEquals(counts(0, 0, 0), inboxJson(Http.get(herald().http("inbox/" + user + "/counts"), token)), "nothing yet");
        List<String> ids = IntStream.range(0, 4).mapToObj(n -> publishNumbered(user, n)).toList();
        assertEquals(counts(4, 4, 4), inboxJson(Http.get(herald().http("inbox/" + user + "/counts"), token)));

        JsonArray history = get("history/" + user).jsonArray();
        JsonArray inbox = Http.get(herald().http("inbox/" + user), token).jsonArray();
        assertEquals(history.size(), inbox.size(), inbox::toString);
        for (int i = 0; i < inbox.size(); i++) {
            JsonObject expected = Json.createObjectBuilder(history.getJsonObject(i))
                    .add("read", false).add("seen", false).add("archived", false).build();
            assertEquals(expected, inbox.getJsonObject(i), "entry " + i + ": the history entry with its state");
        }

        assertEquals(counts(3, 3, 4), mark(user, token, "read", ids(ids.get(0))), "read implies seen");
        assertEquals(counts(3, 2, 4), mark(user, token, "seen", ids(ids.get(1))));
        assertEquals(counts(2, 1, 3), mark(user, token, "archive", ids(ids.get(2), "1-0")), "an id not held is ignored");
        assertEquals(List.of(1, 3), inboxNumbers(user, token, "status=unread"));
        assertEquals(List.of(3), inboxNumbers(user, token, "status=unseen"));
        assertEquals(List.of(2), inboxNumbers(user, token, "status=archived"));
        assertEquals(List.of(0, 1, 3), inboxNumbers(user, token, ""), "not archived");
        assertEquals(List.of(0, 1, 2, 3), inboxNumbers(user, token, "status=all"));
        assertEquals(List.of(3), inboxNumbers(user, token, "limit=1"), "the newest");
        assertEquals(List.of(1), inboxNumbers(user, token, "after=" + ids.get(0) + "&limit=1"), "the first after an id");
        JsonObject first = Http.get(herald().http("inbox/" + user + "?status=all&limit=4"), token).jsonArray().getJsonObject(0);
        assertEquals(List.of(true, true, false), List.of(first.getBoolean("read"), first.getBoolean("seen"), first.getBoolean("archived")),
                first::toString);

        assertEquals(counts(3, 2, 4), mark(user, token, "unarchive", ids(ids.get(2))), "back unread and unseen");
        assertEquals(counts(4, 2, 4), mark(user, token, "unread", ids(ids.get(0))), "unread, still seen");
        assertEquals(counts(0, 0, 4), mark(user, TestTokens.admin(), "read", "{\"upTo\":\"" + ids.get(3) + "\"}"),
                "an admin marks all read: up to the newest");
        assertEquals(counts(0, 0, 4), inboxJson(Http.get(herald().http("inbox/" + user + "/counts"), TestTokens.admin())));
    }

    @Test
    void a_user_deletes_from_their_inbox_and_a_publisher_retracts_and_each_is_gone_from_history_and_counted() {
        String user = TestTokens.freshUser();
        String token = TestTokens.token(user);
        List<String> ids = IntStream.range(0, 3).mapToObj(n -> publishNumbered(user, n)).toList();
        Map<String, Double> before = metrics();

        assertEquals(counts(2, 2, 2), inboxJson(Http.delete(herald().http("inbox/" + user + "/" + ids.get(0)), token)));
        assertEquals(counts(1, 1, 1), inboxJson(Http.delete(herald().http("notify/" + user + "/" + ids.get(1)), TestTokens.publisher())),
                "a publisher retracts");
        assertEquals(List.of(2), numbers(get("history/" + user)), "both gone from history");
        assertEquals(List.of(2), inboxNumbers(user, token, "status=all"), "and from the inbox");
        assertAll(
                () -> assertProblem(404, Http.delete(herald().http("inbox/" + user + "/" + ids.get(0)), token), "deleted already"),
                () -> assertProblem(404, Http.delete(herald().http("inbox/" + user + "/" + ids.get(1)), token), "retracted already"),
                () -> assertProblem(404, Http.delete(herald().http("notify/" + user + "/" + ids.get(0)), TestTokens.publisher()),
                        "retracting one deleted already"),
                () -> assertProblem(404, Http.delete(herald().http("notify/" + user + "/1-0"), TestTokens.publisher()), "never sent"),
                () -> assertProblem(403, Http.delete(herald().http("notify/" + user + "/" + ids.get(2)), token), "a user does not retract"),
                () -> assertProblem(403, Http.delete(herald().http("inbox/" + user + "/" + ids.get(2)), TestTokens.token("mallory")),
                        "another user"),
                () -> assertProblem(403, Http.delete(herald().http("inbox/" + user + "/" + ids.get(2)), TestTokens.publisher()),
                        "a publisher is not the user"),
                () -> assertProblem(401, Http.delete(herald().http("inbox/" + user + "/" + ids.get(2)), null), "no token"),
                () -> assertProblem(401, Http.delete(herald().http("notify/" + user + "/" + ids.get(2)), null), "no token"));
        assertEquals(counts(0, 0, 0), inboxJson(Http.delete(herald().http("inbox/" + user + "/" + ids.get(2)), TestTokens.admin())),
                "an admin deletes");

        Map<String, Double> after = awaitMetrics("inbox deletes and retractions counted",
                m -> delta(before, m, "herald_inbox_operations_total{op=\"delete\"}") >= 4);
        assertEquals(4, delta(before, after, "herald_inbox_operations_total{op=\"delete\"}"), "by the user and an admin, 2 not held");
        assertEquals(3, delta(before, after, "herald_inbox_operations_total{op=\"retract\"}"), "1 done, 2 not held");
        assertTrue(after.keySet().stream().noneMatch(series -> series.contains(user)), () -> "no user id in a series: " + after);
    }

    @Test
    void bad_inbox_requests_get_a_problem_json_answer_never_a_500() {
        String user = TestTokens.freshUser();
        String token = TestTokens.token(user);
        String id = publishNumbered(user, 0);
        String tooMany = IntStream.range(0, 1001).mapToObj(i -> "\"" + i + "-0\"").collect(java.util.stream.Collectors.joining(",", "{\"ids\":[", "]}"));
        List<BadPost> marks = List.of(
                new BadPost("body not JSON", "inbox/" + user + "/read", "application/json", "this is not json", 400),
                new BadPost("empty body", "inbox/" + user + "/read", "application/json", "", 400),
                new BadPost("neither ids nor upTo", "inbox/" + user + "/read", "application/json", "{}", 400),
                new BadPost("both ids and upTo", "inbox/" + user + "/read", "application/json",
                        "{\"ids\":[\"" + id + "\"],\"upTo\":\"" + id + "\"}", 400),
                new BadPost("no ids", "inbox/" + user + "/seen", "application/json", "{\"ids\":[]}", 400),
                new BadPost("ids not an array", "inbox/" + user + "/seen", "application/json", "{\"ids\":\"" + id + "\"}", 400),
                new BadPost("an id as a number", "inbox/" + user + "/archive", "application/json", "{\"ids\":[1]}", 400),
                new BadPost("a malformed id", "inbox/" + user + "/archive", "application/json", "{\"ids\":[\"x-1\"]}", 400),
                new BadPost("a malformed upTo", "inbox/" + user + "/unread", "application/json", "{\"upTo\":\"-1\"}", 400),
                new BadPost("upTo null", "inbox/" + user + "/unread", "application/json", "{\"upTo\":null}", 400),
                new BadPost("an unknown field", "inbox/" + user + "/read", "application/json", "{\"id\":[\"" + id + "\"]}", 400),
                new BadPost("ids twice", "inbox/" + user + "/read", "application/json", "{\"ids\":[\"1-0\"],\"ids\":[\"" + id + "\"]}", 400),
                new BadPost("an array", "inbox/" + user + "/read", "application/json", "[\"" + id + "\"]", 400),
                new BadPost("nested", "inbox/" + user + "/read", "application/json", "{\"ids\":[[\"" + id + "\"]]}", 400),
                new BadPost("more ids than the history size", "inbox/" + user + "/read", "application/json", tooMany, 413),
                new BadPost("text/plain", "inbox/" + user + "/read", "text/plain", "{\"upTo\":\"" + id + "\"}", 415),
                new BadPost("no Content-Type", "inbox/" + user + "/read", null, "{\"upTo\":\"" + id + "\"}", 415),
                new BadPost("invalid user id", "inbox/bad%20id/read", "application/json", "{\"upTo\":\"" + id + "\"}", 400),
                new BadPost("no such mark", "inbox/" + user + "/forget", "application/json", "{\"upTo\":\"" + id + "\"}", 405));
        assertAll(marks.stream().map(bad -> (Executable) () -> assertProblem(bad.status(),
                Http.send("POST", herald().http(bad.path()), token, bad.contentType(), bad.body()), bad.name())));
        assertAll(
                () -> assertProblem(400, Http.get(herald().http("inbox/" + user + "?status=read"), token), "no such status"),
                () -> assertProblem(400, Http.get(herald().http("inbox/" + user + "?limit=0"), token), "limit 0"),
                () -> assertProblem(400, Http.get(herald().http("inbox/" + user + "?after=garbage"), token), "after not an id"),
                () -> assertProblem(400, Http.get(herald().http("inbox/bad%20id/counts"), token), "invalid user id"),
                () -> assertProblem(400, Http.delete(herald().http("inbox/" + user + "/garbage"), token), "delete: not an id"),
                () -> assertProblem(400, Http.delete(herald().http("notify/" + user + "/garbage"), TestTokens.publisher()),
                        "retract: not an id"),
                () -> assertProblem(400, Http.delete(herald().http("notify/bad%20id/" + id), TestTokens.publisher()), "retract: bad user id"),
                () -> assertProblem(403, Http.get(herald().http("inbox/" + user), TestTokens.token("mallory")), "another user's inbox"),
                () -> assertProblem(403, Http.get(herald().http("inbox/" + user + "/counts"), TestTokens.publisher()), "a publisher"),
                () -> assertProblem(403, Http.post(herald().http("inbox/" + user + "/read"), TestTokens.token("mallory"),
                        "{\"upTo\":\"" + id + "\"}"), "marking another user's"),
                () -> assertProblem(401, Http.get(herald().http("inbox/" + user + "/counts"), null), "no token"),
                () -> assertProblem(405, Http.get(herald().http("inbox/" + user + "/" + id), token), "GET on a DELETE route"));
        assertEquals(counts(1, 1, 1), inboxJson(Http.get(herald().http("inbox/" + user + "/counts"), token)), "nothing refused changed it");
    }

    /** POSTs a mark, asserting the 200; returns the counts it answered with. */
    private JsonObject mark(String user, String token, String mark, String body) {
        return inboxJson(Http.post(herald().http("inbox/" + user + "/" + mark), token, body));
    }

    private static String ids(String... ids) {
        return Json.createObjectBuilder().add("ids", Json.createArrayBuilder(List.of(ids))).build().toString();
    }

    private static JsonObject counts(int unread, int unseen, int total) {
        return Json.createObjectBuilder().add("unread", unread).add("unseen", unseen).add("total", total).build();
    }

    /** A 200 answer's JSON object. */
    private static JsonObject inboxJson(Reply reply) {
        assertEquals(200, reply.status(), reply::toString);
        return reply.json();
    }

    private List<Integer> inboxNumbers(String user, String token, String query) {
        return numbers(Http.get(herald().http("inbox/" + user + "?" + query), token));
    }

    // ---------------------------------------------------------------------------------------- bad input

    private record BadPost(String name, String path, String contentType, String body, int status) {
    }

    @Test
    void bad_publish_requests_get_a_problem_json_answer_never_a_500() {
        String user = TestTokens.freshUser();
        String big = "{\"pad\":\"" + "x".repeat(64 * 1024) + "\"}";
        List<BadPost> table = List.of(
                new BadPost("body not JSON", "notify/" + user, "application/json", "this is not json", 400),
                new BadPost("empty body", "notify/" + user, "application/json", "", 400),
                new BadPost("JSON array", "notify/" + user, "application/json", "[{\"title\":\"a\"}]", 400),
                new BadPost("JSON string", "notify/" + user, "application/json", "\"hello\"", 400),
                new BadPost("two objects", "notify/" + user, "application/json", "{} {}", 400),
                new BadPost("top-level id", "notify/" + user, "application/json", "{\"id\":\"1-0\",\"title\":\"a\"}", 400),
                new BadPost("top-level ts", "notify/" + user, "application/json", "{\"ts\":\"now\",\"title\":\"a\"}", 400),
                new BadPost("text/plain", "notify/" + user, "text/plain", "{\"title\":\"a\"}", 415),
                new BadPost("no Content-Type", "notify/" + user, null, "{\"title\":\"a\"}", 415),
                new BadPost("broadcast text/plain", "notify", "text/plain", "{\"title\":\"a\"}", 415),
                new BadPost("body over 64 KiB", "notify/" + user, "application/json", big, 413),
                new BadPost("broadcast body over 64 KiB", "notify", "application/json", big, 413),
                new BadPost("invalid user id", "notify/bad%20id", "application/json", "{\"title\":\"a\"}", 400));

        assertAll(table.stream().map(bad -> (Executable) () -> {
            Reply reply = send(bad.path(), bad.contentType(), bad.body());
            assertProblem(bad.status(), reply, bad.name());
        }));
        Reply history = get("history/" + user);
        assertEquals(0, history.jsonArray().size(), () -> "nothing refused was stored: " + history);
    }

    @Test
    void a_batch_publishes_each_valid_item_to_its_user_in_order_and_reports_each_refused_one_by_index() {
        String alice = TestTokens.freshUser();
        String bob = TestTokens.freshUser();
        try (TestSocket aliceSocket = TestSocket.connect(userSocket(alice, null));
             TestSocket bobSocket = TestSocket.connect(userSocket(bob, null))) {
            String body = "[" + String.join(",", batchItem(alice, 1), batchItem(bob, 2),
                    "{\"userId\":\"bad id\",\"notification\":{}}",
                    "{\"userId\":\"" + alice + "\",\"notification\":{\"id\":\"mine\"}}",
                    batchItem(alice, 3), "42") + "]";
            Reply reply = post("notify-batch", body);

            assertEquals(207, reply.status(), reply::toString);
            JsonObject answer = reply.json();
            assertEquals(3, answer.getInt("accepted"), reply::toString);
            assertEquals(3, answer.getInt("rejected"), reply::toString);
            JsonArray results = answer.getJsonArray("results");
            assertEquals(List.of(202, 202, 400, 400, 202, 400),
                    results.stream().map(r -> r.asJsonObject().getInt("status")).toList(), reply::toString);
            assertTrue(results.getJsonObject(3).getString("detail").startsWith("item 3: "), reply::toString);
            for (int[] expected : new int[][] {{0, 1}, {4, 3}}) {
                JsonObject frame = JsonText.object(aliceSocket.next(FRAME));
                assertEquals(expected[1], frame.getInt("n"), frame::toString);
                assertEquals(results.getJsonObject(expected[0]).getString("id"), frame.getString("id"), frame::toString);
            }
            assertEquals(2, JsonText.object(bobSocket.next(FRAME)).getInt("n"));
            aliceSocket.assertNothingWithin(QUIET);
            assertEquals(List.of(1, 3), numbers(get("history/" + alice)), "only the valid items were stored");

            Reply all = post("notify-batch", "[" + batchItem(bob, 4) + "]");
            assertEquals(202, all.status(), all::toString);
            assertEquals(4, JsonText.object(bobSocket.next(FRAME)).getInt("n"));
        }
        assertProblem(400, post("notify-batch", "{\"userId\":\"a\"}"), "an object instead of an array");
        assertProblem(400, post("notify-batch", "[]"), "an empty batch");
        assertProblem(400, post("notify-batch", "[{\"userId\":"), "truncated JSON");
        assertProblem(413, post("notify-batch", "[" + "{},".repeat(1000) + "{}]"), "1001 items");
        assertProblem(415, send("notify-batch", "text/plain", "[]"), "text/plain");
    }

    private static String batchItem(String user, int n) {
        return "{\"userId\":\"" + user + "\",\"notification\":{\"n\":" + n + "}}";
    }

    // ---------------------------------------------------------------------------------------- retrying safely

    @Test
    void a_publish_retried_with_its_idempotency_key_gets_the_original_id_and_is_published_once() {
        String user = TestTokens.freshUser();
        String key = UUID.randomUUID().toString();
        String body = "{\"title\":\"Order placed\",\"n\":1}";
        Map<String, Double> before = metrics();
        try (TestSocket socket = TestSocket.connect(userSocket(user, null))) {
            Reply first = postWithKey("notify/" + user, TestTokens.publisher(), body, key);
            assertEquals(202, first.status(), first::toString);
            assertTrue(first.header("Idempotent-Replayed").isEmpty(), first::toString);
            String id = first.json().getString("id");

            Reply retry = postWithKey("notify/" + user, TestTokens.publisher(), body, key);
            assertEquals(202, retry.status(), retry::toString);
            assertEquals("true", retry.header("Idempotent-Replayed").orElse(null), retry::toString);
            assertEquals(first.json(), retry.json(), "the original answer, the original id");

            Reply conflict = assertProblem(422, postWithKey("notify/" + user, TestTokens.publisher(), "{\"n\":2}", key),
                    "the same key with another body");
            assertTrue(conflict.json().getString("detail").contains("idempotency key"), conflict::toString);
            Reply anotherPublisher = postWithKey("notify/" + user, TestTokens.token("billing", "publisher"), "{\"n\":3}", key);
            assertEquals(202, anotherPublisher.status(), () -> "keys are per publisher: " + anotherPublisher);
            assertTrue(anotherPublisher.header("Idempotent-Replayed").isEmpty(), anotherPublisher::toString);

            assertEquals(id, JsonText.object(socket.next(FRAME)).getString("id"));
            assertEquals(3, JsonText.object(socket.next(FRAME)).getInt("n"), "neither the replay nor the conflict was delivered");
            assertEquals(List.of(1, 3), numbers(get("history/" + user)));
            assertEquals(2, delta(before, metrics(), "herald_notifications_published_total{kind=\"user\"}"), "replays are not counted");
        }
        Reply broadcast = postWithKey("notify", TestTokens.publisher(), "{\"all\":true}", key);
        Reply broadcastAgain = postWithKey("notify", TestTokens.publisher(), "{\"all\":true}", key);
        assertEquals(202, broadcast.status(), () -> "a key is per recipient: " + broadcast);
        assertEquals(broadcast.json(), broadcastAgain.json(), broadcastAgain::toString);
        assertEquals("true", broadcastAgain.header("Idempotent-Replayed").orElse(null), broadcastAgain::toString);

        assertAll(Map.of("empty", List.of(""), "a space", List.of("a b"), "256 characters", List.of("k".repeat(256)),
                        "two headers", List.of("k1", "k2"))
                .entrySet().stream().map(bad -> (Executable) () -> assertProblem(400,
                        postWithKey("notify/" + user, TestTokens.publisher(), "{}", bad.getValue().toArray(String[]::new)),
                        "Idempotency-Key " + bad.getKey())));
        assertEquals(List.of(1, 3), numbers(get("history/" + user)), "nothing with a bad key was stored");
    }

    @Test
    void a_batch_retried_with_its_items_keys_is_answered_with_the_same_ids_and_a_conflicting_item_publishes_nothing() {
        String alice = TestTokens.freshUser();
        String bob = TestTokens.freshUser();
        String body = "[" + String.join(",", keyedBatchItem(alice, 1, "a-1"), keyedBatchItem(bob, 2, "b-2"),
                "{\"userId\":\"" + alice + "\",\"notification\":{},\"idempotencyKey\":\"has space\"}") + "]";

        Reply first = post("notify-batch", body);
        assertEquals(207, first.status(), first::toString);
        assertTrue(first.json().getJsonArray("results").getJsonObject(2).getString("detail").startsWith("item 2: "), first::toString);
        Reply retry = post("notify-batch", body);
        assertEquals(207, retry.status(), retry::toString);
        assertEquals("true", retry.header("Idempotent-Replayed").orElse(null), () -> "every accepted item replayed: " + retry);
        JsonObject again = retry.json();
        assertEquals(2, again.getInt("accepted"), retry::toString);
        assertEquals(2, again.getInt("replayed"), retry::toString);
        for (int i = 0; i < 2; i++) {
            JsonObject original = first.json().getJsonArray("results").getJsonObject(i);
            JsonObject replayed = again.getJsonArray("results").getJsonObject(i);
            assertEquals(original.getString("id"), replayed.getString("id"), retry::toString);
            assertFalse(original.containsKey("replayed"), first::toString);
            assertTrue(replayed.getBoolean("replayed"), retry::toString);
        }

        Reply conflict = assertProblem(422, post("notify-batch", "[" + keyedBatchItem(bob, 3, "b-3") + ","
                + keyedBatchItem(alice, 4, "a-1") + "]"), "item 1 reuses a-1 with another body");
        assertTrue(conflict.json().getString("detail").startsWith("item 1: "), conflict::toString);
        assertEquals(List.of(1), numbers(get("history/" + alice)));
        assertEquals(List.of(2), numbers(get("history/" + bob)), "the conflicting batch's other item was not published");
    }

    @Test
    void a_notification_published_with_herald_expires_leaves_history_once_expired_and_a_bad_expiry_is_refused() {
        String user = TestTokens.freshUser();
        publish(user, "{\"n\":1}");
        Reply expiring;
        try (TestSocket inbox = TestSocket.connectHerald2(herald().ws("ws/notifications/" + user), TestTokens.token(user))) {
            assertEquals(countsFrame(1, 1, 1), JsonText.object(inbox.next(FRAME)), "the counts, once it opened");
            expiring = Http.post(herald().http("notify/" + user), TestTokens.publisher(), "{\"n\":2}", "Herald-Expires", "PT1S");
            assertEquals(202, expiring.status(), expiring::toString);
            assertEquals(List.of(1, 2), numbers(get("history/" + user)), "held until it expires");
            Await.until("the expired notification left history", Duration.ofSeconds(6),
                    () -> numbers(get("history/" + user)).equals(List.of(1)));
            assertEquals(counts(1, 1, 1), inboxJson(Http.get(herald().http("inbox/" + user + "/counts"), TestTokens.token(user))),
                    "and the counts, in the same step");
            String id = expiring.json().getString("id");
            assertEquals(List.of(id, "counts 2", "{\"herald\":\"expired\",\"ids\":[\"" + id + "\"]}", "counts 1"),
                    List.of(idOf(inbox.next(FRAME)), "counts " + JsonText.object(inbox.next(FRAME)).getInt("total", -1),
                            inbox.next(FRAME), "counts " + JsonText.object(inbox.next(FRAME)).getInt("total", -1)),
                    "the herald.2 socket hears it expire: its id, then the counts");
        }
        try (TestSocket socket = TestSocket.connect(userSocket(user, expiring.json().getString("id")))) {
            publish(user, "{\"n\":3}");
            String text = socket.next(FRAME);
            assertEquals(3, JsonText.object(text).getInt("n"), () -> "resuming from an expired id is no gap: " + text);
        }

        assertAll(List.of("PT0S", "-PT1M", "tomorrow", "2020-01-01T00:00:00Z").stream()
                .map(bad -> (Executable) () -> assertProblem(400,
                        Http.post(herald().http("notify/" + user), TestTokens.publisher(), "{}", "Herald-Expires", bad),
                        "Herald-Expires " + bad)));
        Reply batch = post("notify-batch", "[{\"userId\":\"" + user + "\",\"notification\":{\"n\":4},\"expires\":\"PT1H\"},"
                + "{\"userId\":\"" + user + "\",\"notification\":{},\"expires\":\"PT0S\"}]");
        assertEquals(207, batch.status(), batch::toString);
        assertTrue(batch.json().getJsonArray("results").getJsonObject(1).getString("detail").startsWith("item 1: "), batch::toString);
        assertEquals(List.of(1, 3, 4), numbers(get("history/" + user)), "nothing with a bad expiry was stored");
    }

    private static String keyedBatchItem(String user, int n, String key) {
        return "{\"userId\":\"" + user + "\",\"notification\":{\"n\":" + n + "},\"idempotencyKey\":\"" + key + "\"}";
    }

    private Reply postWithKey(String path, String token, String json, String... keys) {
        String[] headers = new String[2 * keys.length];
        for (int i = 0; i < keys.length; i++) {
            headers[2 * i] = "Idempotency-Key";
            headers[2 * i + 1] = keys[i];
        }
        return Http.post(herald().http(path), token, json, headers);
    }

    // ---------------------------------------------------------------------------------------- groups

    @Test
    void a_group_notification_is_published_with_its_id_counted_by_kind_and_kept_for_members_and_admins_only() {
        String group = "region:" + TestTokens.freshUser();
        String member = TestTokens.token(TestTokens.freshUser(), "group:" + group);
        Map<String, Double> before = metrics();
        Reply sent = post("notify/group/" + group, "{\"title\":\"Maintenance\",\"n\":1}");
        assertEquals(202, sent.status(), sent::toString);
        assertEquals("Notification sent to group " + group, sent.json().getString("detail"), sent::toString);
        String id = sent.json().getString("id");
        String key = UUID.randomUUID().toString();
        Reply keyed = postWithKey("notify/group/" + group, TestTokens.publisher(), "{\"n\":2}", key);
        Reply retried = postWithKey("notify/group/" + group, TestTokens.publisher(), "{\"n\":2}", key);
        assertEquals(keyed.json(), retried.json(), retried::toString);
        assertEquals("true", retried.header("Idempotent-Replayed").orElse(null), retried::toString);

        Reply asMember = Http.get(herald().http("history/group/" + group), member);
        assertEquals(List.of(1, 2), numbers(asMember), "a member reads the group's history, the replay stored once");
        assertEquals(id, asMember.jsonArray().getJsonObject(0).getString("id"), asMember::toString);
        assertEquals(List.of(2), numbers(Http.get(herald().http("history/group/" + group + "?after=" + id + "&limit=5"), member)));
        assertEquals(List.of(2), numbers(get("history/group/" + group + "?limit=1")), "an admin reads any group's history");
        assertEquals(List.of(), numbers(get("history/" + group)), "the user with the group's name got nothing");

        String outsider = TestTokens.freshUser();
        URI history = herald().http("history/group/" + group);
        assertAll(
                () -> assertProblem(403, Http.get(history, TestTokens.token(outsider, "group:region:elsewhere")), "another group's member"),
                () -> assertProblem(403, Http.get(history, TestTokens.token(outsider, group)), "the group's name without the prefix"),
                () -> assertProblem(403, Http.get(history, TestTokens.publisher()), "a publisher is no reader"),
                () -> assertProblem(403, Http.get(history, TestTokens.token(group)), "the user named like the group"),
                () -> assertProblem(401, Http.get(history, null), "no token"),
                () -> assertProblem(403, Http.post(herald().http("notify/group/" + group), member, "{}"), "a member is no publisher"),
                () -> assertProblem(401, Http.post(herald().http("notify/group/" + group), null, "{}"), "publish without a token"),
                () -> assertProblem(400, post("notify/group/bad%20name", "{}"), "publish to a bad group name"),
                () -> assertProblem(400, post("notify/group/" + "g".repeat(129), "{}"), "a group name over 128 characters"),
                () -> assertProblem(400, post("notify/group/" + group, "[]"), "a body that is no object"),
                () -> assertProblem(400, get("history/group/bad%20name"), "history of a bad group name"),
                () -> assertProblem(400, get("history/group/" + group + "?limit=0"), "a bad limit"));
        assertEquals(List.of(1, 2), numbers(get("history/group/" + group)), "nothing refused was stored");

        Map<String, Double> after = metrics();
        assertEquals(2, delta(before, after, "herald_notifications_published_total{kind=\"group\"}"), after::toString);
        assertEquals(0, delta(before, after, "herald_notifications_published_total{kind=\"user\"}"), after::toString);
        assertTrue(after.keySet().stream().noneMatch(series -> series.contains(group)), () -> "no group name in a series: " + after);
    }

    @Test
    void notify_group_slash_a_name_is_the_groups_route_and_a_user_named_group_keeps_theirs() {
        String group = "team:" + TestTokens.freshUser();
        Reply toGroup = post("notify/group/" + group, "{\"n\":1}");
        Reply toUserGroup = post("notify/group", "{\"n\":2}");
        Reply toUserWithColon = post("notify/group:" + group, "{\"n\":3}");
        assertEquals("Notification sent to group " + group, toGroup.json().getString("detail"), toGroup::toString);
        assertEquals("Notification sent to user group", toUserGroup.json().getString("detail"), toUserGroup::toString);
        assertEquals("Notification sent to user group:" + group, toUserWithColon.json().getString("detail"), toUserWithColon::toString);
        assertEquals(List.of(1), numbers(get("history/group/" + group)));
        Reply userGroup = get("history/group");
        assertEquals(toUserGroup.json().getString("id"), userGroup.jsonArray().getJsonObject(userGroup.jsonArray().size() - 1)
                .getString("id"), () -> "GET /history/group is the user group's: " + userGroup);
        assertEquals(List.of(3), numbers(get("history/group:" + group)));
        Reply retracted = Http.delete(herald().http("notify/group/" + toUserGroup.json().getString("id")), TestTokens.publisher());
        assertEquals(200, retracted.status(), () -> "DELETE /notify/group/<id> retracts from the user named group: " + retracted);
        assertFalse(get("history/group").body().contains(toUserGroup.json().getString("id")), "retracted from the user group's history");
        Reply groupsOwn = Http.get(herald().http("history/group"), TestTokens.token("group"));
        assertEquals(200, groupsOwn.status(), () -> "the user named group reads their own history: " + groupsOwn);
    }

    @Test
    void a_batch_mixes_users_and_groups_and_refuses_an_item_that_names_both_or_neither() {
        String alice = TestTokens.freshUser();
        String group = "team:" + TestTokens.freshUser();
        try (TestSocket aliceSocket = TestSocket.connect(userSocket(alice, null))) {
            String body = "[" + String.join(",", batchItem(alice, 1), groupBatchItem(group, 2),
                    "{\"userId\":\"" + alice + "\",\"group\":\"" + group + "\",\"notification\":{\"n\":3}}",
                    "{\"notification\":{\"n\":4}}", groupBatchItem("bad name", 5), groupBatchItem(group, 6)) + "]";
            Reply reply = post("notify-batch", body);

            assertEquals(207, reply.status(), reply::toString);
            JsonArray results = reply.json().getJsonArray("results");
            assertEquals(List.of(202, 202, 400, 400, 400, 202),
                    results.stream().map(r -> r.asJsonObject().getInt("status")).toList(), reply::toString);
            assertTrue(results.getJsonObject(2).getString("detail").startsWith("item 2: "), reply::toString);
            assertTrue(results.getJsonObject(3).getString("detail").startsWith("item 3: "), reply::toString);
            assertEquals(1, JsonText.object(aliceSocket.next(FRAME)).getInt("n"));
            aliceSocket.assertNothingWithin(QUIET);
            assertEquals(List.of(1), numbers(get("history/" + alice)), "the user got only their item");
            assertEquals(List.of(2, 6), numbers(get("history/group/" + group)), "the group got its items in order");
            assertEquals(results.getJsonObject(1).getString("id"), get("history/group/" + group).jsonArray().getJsonObject(0).getString("id"));
        }
    }

    private static String groupBatchItem(String group, int n) {
        return "{\"group\":\"" + group + "\",\"notification\":{\"n\":" + n + "}}";
    }

    // ---------------------------------------------------------------------------------------- sockets with several streams

    @Test
    void a_socket_carries_exactly_the_streams_it_asked_for_each_frame_naming_its_stream_with_a_cursor() {
        String us = "region:" + TestTokens.freshUser();
        String eu = "region:" + TestTokens.freshUser();
        String alice = TestTokens.freshUser();
        String bob = TestTokens.freshUser();
        String carol = TestTokens.freshUser();
        try (TestSocket aliceSocket = TestSocket.connect(ws("ws/notifications/" + alice + "?groups=" + us + "&broadcast=true&token="
                + TestTokens.token(alice, "group:" + us)));
             TestSocket bobSocket = TestSocket.connect(ws("ws/notifications/" + bob + "?groups=" + eu + "&token="
                     + TestTokens.token(bob, "group:" + eu)));
             TestSocket carolSocket = TestSocket.connect(ws("ws/notifications?groups=" + eu + "&groups=" + us + "," + eu
                     + "&broadcast=false&token=" + TestTokens.token(carol, "group:" + us, "group:" + eu)));
             TestSocket usOnly = TestSocket.connect(ws("ws/notifications?groups=" + us + "&broadcast=false&token="
                     + TestTokens.token(carol, "group:" + us)))) {
            Map<Integer, String> ids = new HashMap<>();
            ids.put(1, accepted(post("notify/group/" + eu, "{\"n\":1}")));
            ids.put(2, accepted(post("notify/group/" + us, "{\"n\":2}")));
            ids.put(3, publish(alice, "{\"n\":3}"));
            ids.put(4, publish(bob, "{\"n\":4}"));
            ids.put(5, accepted(post("notify", "{\"n\":5}")));
            Reply batch = post("notify-batch", "[" + String.join(",", batchItem(alice, 6), groupBatchItem(us, 7),
                    groupBatchItem(eu, 8), batchItem(bob, 9)) + "]");
            assertEquals(202, batch.status(), batch::toString);
            for (int n = 6; n <= 9; n++) {
                ids.put(n, batch.json().getJsonArray("results").getJsonObject(n - 6).getString("id"));
            }

            assertEquals(Map.of("group:" + us, List.of(2, 7), "user", List.of(3, 6), "broadcast", List.of(5)),
                    streams(aliceSocket, 5, ids), "alice's socket: her stream, region:us and the broadcasts, never region:eu");
            assertEquals(Map.of("group:" + eu, List.of(1, 8), "user", List.of(4, 9)), streams(bobSocket, 4, ids),
                    "bob's socket: his stream and region:eu, never alice's stream, region:us or the broadcasts (not asked for)");
            assertEquals(Map.of("group:" + eu, List.of(1, 8), "group:" + us, List.of(2, 7)), streams(carolSocket, 4, ids),
                    "a socket of groups only (duplicates dropped): no user's stream");
            for (int n : List.of(2, 7)) {
                JsonObject frame = JsonText.object(usOnly.next(FRAME));
                assertEquals(Set.of("id", "ts", "n"), frame.keySet(), () -> "one stream: the frame as today " + frame);
                assertEquals(ids.get(n), frame.getString("id"), frame::toString);
            }
            for (TestSocket socket : List.of(aliceSocket, bobSocket, carolSocket, usOnly)) {
                socket.assertNothingWithin(QUIET);
            }
        }
    }

    @Test
    void a_group_socket_is_refused_with_a_problem_unless_the_token_grants_every_group_and_the_streams_are_valid() {
        String us = "region:" + TestTokens.freshUser();
        String eu = "region:" + TestTokens.freshUser();
        String alice = TestTokens.freshUser();
        String member = TestTokens.token(alice, "group:" + us);
        String id = accepted(post("notify/group/" + us, "{\"n\":1}"));
        List<String> many = IntStream.range(0, 32).mapToObj(i -> "team:" + i + "-" + alice).toList();
        String grantsAll = TestTokens.token(alice, many.stream().map(g -> "group:" + g).toArray(String[]::new));
        assertAll(
                () -> assertTrue(TestSocket.assertRefusedWithProblem(403, ws("ws/notifications/" + alice + "?groups=" + us + "," + eu
                        + "&token=" + member), "a group the token does not grant").json().getString("detail").contains(eu),
                        "the refusal names the group"),
                () -> TestSocket.assertRefusedWithProblem(403, ws("ws/notifications?groups=" + eu + "&token=" + member),
                        "a group the token does not grant, on the broadcast path"),
                () -> TestSocket.assertRefusedWithProblem(403, ws("ws/notifications/" + alice + "?groups=" + us + "&token="
                        + TestTokens.token(alice, us)), "the group's name without the prefix is no grant"),
                () -> TestSocket.assertRefusedWithProblem(403, ws("ws/notifications/" + alice + "?groups=" + us + "&token="
                        + TestTokens.token(TestTokens.freshUser(), "group:" + us)), "a member's token for another user's stream"),
                () -> TestSocket.assertRefusedWithProblem(400, ws("ws/notifications/" + alice + "?groups=bad%20name&token=" + member),
                        "a bad group name"),
                () -> TestSocket.assertRefusedWithProblem(400, ws("ws/notifications/" + alice + "?groups=" + us + "&broadcast=yes&token="
                        + member), "broadcast neither true nor false"),
                () -> TestSocket.assertRefusedWithProblem(400, ws("ws/notifications?broadcast=false&token=" + member), "no stream at all"),
                () -> TestSocket.assertRefusedWithProblem(400, ws("ws/notifications/" + alice + "?groups=" + String.join(",", many)
                        + "&token=" + grantsAll), "33 streams (the user's and 32 groups) where 32 is the most"),
                () -> TestSocket.assertRefusedWithProblem(400, ws("ws/notifications/" + alice + "?groups=" + us + "&since=" + id
                        + "&token=" + member), "since=<plain id> on a socket of two streams"),
                () -> TestSocket.assertRefusedWithProblem(400, ws("ws/notifications/" + alice + "?groups=" + us
                        + "&since=h1.bm90LWEtY3Vyc29y&token=" + member), "a cursor Herald did not write"),
                () -> assertProblem(400, post("notify/group/" + us, "{\"stream\":\"user\",\"n\":2}"), "a body with \"stream\""),
                () -> assertProblem(400, post("notify/" + alice, "{\"cursor\":\"h1.x\",\"n\":2}"), "a body with \"cursor\""),
                () -> assertProblem(400, post("notify", "{\"n\":2,\"stream\":\"broadcast\"}"), "a broadcast with \"stream\""));
        try (TestSocket most = TestSocket.connect(ws("ws/notifications/" + alice + "?groups="
                + String.join(",", many.subList(0, 31)) + "&token=" + grantsAll))) {
            assertFalse(most.closed().isDone(), "32 streams are allowed: " + most.closed());
        }
        assertEquals(List.of(1), numbers(get("history/group/" + us)), "nothing refused was stored");
        assertEquals(List.of(), numbers(get("history/" + alice)), "nothing refused was stored");
    }

    @Test
    void a_cursor_resumes_every_stream_of_its_socket_and_a_stream_it_does_not_cover_starts_from_the_new_connection() {
        String alice = TestTokens.freshUser();
        String us = "region:" + TestTokens.freshUser();
        String payments = "team:" + TestTokens.freshUser();
        String token = TestTokens.token(alice, "group:" + us, "group:" + payments);
        Map<Integer, String> ids = new HashMap<>();
        String cursor;
        try (TestSocket first = TestSocket.connect(ws("ws/notifications/" + alice + "?groups=" + us + "&token=" + token))) {
            ids.put(1, accepted(post("notify/group/" + us, "{\"n\":1}")));
            cursor = JsonText.object(first.next(FRAME)).getString("cursor");
        }
        ids.put(2, accepted(post("notify/group/" + us, "{\"n\":2}")));
        ids.put(3, accepted(post("notify/group/" + payments, "{\"n\":3}")));
        ids.put(4, publish(alice, "{\"n\":4}"));
        try (TestSocket wider = TestSocket.connect(ws("ws/notifications/" + alice + "?groups=" + us + "," + payments
                + "&since=" + cursor + "&token=" + token))) {
            ids.put(5, accepted(post("notify/group/" + payments, "{\"n\":5}")));
            assertEquals(Map.of("group:" + us, List.of(2), "user", List.of(4), "group:" + payments, List.of(5)),
                    streams(wider, 3, ids), "the cursor's streams (alice's, which had no frame yet, too) resume exactly; "
                            + payments + ", not in the cursor, starts from the connection");
            wider.assertNothingWithin(QUIET);
        }
    }

    /** The next {@code count} frames of a multi-stream socket, as {@code n} per stream in arrival order, each checked. */
    private static Map<String, List<Integer>> streams(TestSocket socket, int count, Map<Integer, String> ids) {
        Map<String, List<Integer>> byStream = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            String text = socket.next(FRAME);
            JsonObject frame = JsonText.object(text);
            assertEquals(Set.of("id", "ts", "stream", "cursor", "n"), frame.keySet(), () -> "fields of " + text);
            assertTrue(frame.getString("cursor").matches("[A-Za-z0-9_.-]+"), () -> "a URL-safe cursor: " + text);
            assertEquals(ids.get(frame.getInt("n")), frame.getString("id"), () -> "the id the 202 gave: " + text);
            byStream.computeIfAbsent(frame.getString("stream"), k -> new ArrayList<>()).add(frame.getInt("n"));
        }
        return byStream;
    }

    private static String accepted(Reply reply) {
        assertEquals(202, reply.status(), reply::toString);
        return reply.json().getString("id");
    }

    private URI ws(String path) {
        return herald().ws(path);
    }

    // ---------------------------------------------------------------------------------------- metrics

    @Test
    void metrics_count_publishes_deliveries_sessions_and_closes_as_traffic_happens() {
        String user = TestTokens.freshUser();
        Map<String, Double> before = metrics();
        try (TestSocket laptop = TestSocket.connect(userSocket(user, null));
             TestSocket phone = TestSocket.connect(userSocket(user, null))) {
            awaitMetrics("2 sessions open", m -> m.getOrDefault("herald_websocket_sessions", 0.0) >= 2);
            for (int n = 0; n < 3; n++) {
                publish(user, "{\"n\":" + n + "}");
            }
            for (int n = 0; n < 3; n++) {
                laptop.next(FRAME);
                phone.next(FRAME);
            }
            Map<String, Double> after = awaitMetrics("6 deliveries counted",
                    m -> delta(before, m, "herald_notifications_delivered_total") >= 6);
            assertEquals(3, delta(before, after, "herald_notifications_published_total{kind=\"user\"}"), after::toString);
            assertEquals(0, delta(before, after, "herald_notifications_published_total{kind=\"broadcast\"}"), after::toString);
            assertEquals(6, delta(before, after, "herald_notifications_delivered_total"), after::toString);
            assertEquals(3, delta(before, after, "herald_publish_seconds_count"), after::toString);
            double timed = delta(before, after, "herald_delivery_seconds_count"); // sampled: at most one frame per ms
            assertTrue(timed >= 1 && timed <= 6, after::toString);
            assertTrue(delta(before, after, "herald_publish_seconds_sum") > 0, after::toString);
            assertEquals(1, after.get("herald_subscriber_up"), after::toString);
        }
        Map<String, Double> closed = awaitMetrics("2 normal closes counted",
                m -> delta(before, m, "herald_sessions_closed_total{reason=\"normal\"}") >= 2);
        assertEquals(2, delta(before, closed, "herald_sessions_closed_total{reason=\"normal\"}"), closed::toString);
        assertEquals(0, delta(before, closed, "herald_sessions_closed_total{reason=\"slow\"}"), closed::toString);
    }

    private Map<String, Double> metrics() {
        return HeraldMetrics.scrape(herald().root("metrics?scope=application"));
    }

    private Map<String, Double> awaitMetrics(String what, Predicate<Map<String, Double>> condition) {
        return HeraldMetrics.await(herald().root("metrics?scope=application"), what, FRAME, condition);
    }

    // ---------------------------------------------------------------------------------------- Redis outage

    @Test
    void while_redis_is_down_publishing_answers_503_and_health_is_down_and_both_recover_when_it_is_back() {
        String user = TestTokens.freshUser();
        URI health = root("health");
        Reply up = Http.get(health, null);
        assertEquals(200, up.status(), () -> "healthy before the outage: " + up);

        double reconnects = metrics().get("herald_subscriber_reconnects_total");
        try (TestSocket survivor = TestSocket.connect(userSocket(user, null));
             TestSocket inboxSurvivor = TestSocket.connectHerald2(herald().ws("ws/notifications/" + user), TestTokens.token(user))) {
            assertEquals(countsFrame(0, 0, 0), JsonText.object(inboxSurvivor.next(FRAME)), "the counts, once it opened");
            redis.kill();
            try {
                Reply refused = post("notify/42", "{\"title\":\"Alert\",\"message\":\"Server rebooted\",\"user_id\":1}");
                assertProblem(503, refused, "publish while Redis is down");
                assertTrue(refused.header("Retry-After").isPresent(), () -> "Retry-After on " + refused);

                Reply down = Http.awaitStatus(health, 503, Duration.ofSeconds(10));
                assertEquals("DOWN", down.json().getString("status", null), down::toString);
                assertEquals("DOWN", Http.healthCheck(down, "broker").getString("status", null), down::toString);
                Reply notReady = Http.get(root("health/ready"), null);
                assertEquals(503, notReady.status(), notReady::toString);
                assertEquals("DOWN", Http.healthCheck(notReady, "broker").getString("status", null), notReady::toString);
                Map<String, Double> during = metrics();
                assertEquals(0, during.get("herald_subscriber_up"), during::toString);
            } finally {
                redis.restart();
            }

            Reply healthy = Http.awaitStatus(health, 200, Duration.ofSeconds(20));
            assertEquals("UP", Http.healthCheck(healthy, "broker").getString("status", null), healthy::toString);
            Map<String, Double> recovered = metrics();
            assertEquals(1, recovered.get("herald_subscriber_up"), recovered::toString);
            assertTrue(recovered.get("herald_subscriber_reconnects_total") > reconnects, recovered::toString);

            // changes told while live delivery was down are lost: the catch-up after resubscribing re-reads the counts
            // (awaited before publishing, or the catch-up could read them after the publish, and send its notification first)
            assertEquals(countsFrame(0, 0, 0), JsonText.object(inboxSurvivor.next(FRAME)), "the counts after the catch-up");
            try (TestSocket fresh = TestSocket.connect(userSocket(user, null))) {
                String id = publish(user, "{\"title\":\"Back\"}");
                String text = fresh.next(FRAME);
                assertEquals(id, JsonText.object(text).getString("id", null), () -> "a socket opened after recovery: " + text);
                String kept = survivor.next(FRAME);
                assertEquals(id, JsonText.object(kept).getString("id", null), () -> "a socket that lived through the outage: " + kept);
                String next;
                do {
                    next = inboxSurvivor.next(FRAME); // the catch-up's counts again, if the subscriber resubscribed more than once
                } while (JsonText.object(next).containsKey("herald"));
                assertEquals(id, idOf(next), inboxSurvivor::toString);
                assertEquals(countsFrame(1, 1, 1), JsonText.object(inboxSurvivor.next(FRAME)), "and after the notification, its counts");
            }
        }
    }

    // ---------------------------------------------------------------------------------------- helpers

    private Endpoints herald() {
        return Endpoints.of(base);
    }

    private URI broadcastSocket(String since) {
        return herald().broadcastSocket(since);
    }

    private URI userSocket(String user, String since) {
        return herald().userSocket(user, since);
    }

    private URI root(String path) {
        return herald().root(path);
    }

    /** POSTs JSON as the publisher. */
    private Reply post(String path, String json) {
        return send(path, "application/json", json);
    }

    private Reply send(String path, String contentType, String body) {
        return Http.send("POST", herald().http(path), TestTokens.publisher(), contentType, body);
    }

    /** GETs as an admin (who may read every history). */
    private Reply get(String path) {
        return Http.get(herald().http(path), TestTokens.admin());
    }

    /** Publishes to a user, asserting the 202; returns the id. */
    private String publish(String user, String json) {
        Reply reply = post("notify/" + user, json);
        assertEquals(202, reply.status(), () -> "publish " + json + ": " + reply);
        return reply.json().getString("id");
    }

    private static JsonObject countsFrame(long unread, long unseen, long total) {
        return Json.createObjectBuilder().add("herald", "counts").add("unread", unread).add("unseen", unseen).add("total", total).build();
    }

    private static String idOf(String frame) {
        return JsonText.object(frame).getString("id", frame);
    }

    private String publishNumbered(String user, int n) {
        return publish(user, "{\"title\":\"Numbered\",\"n\":" + n + "}");
    }

    private static List<Integer> numbers(Reply history) {
        assertEquals(200, history.status(), history::toString);
        return history.jsonArray().getValuesAs(JsonObject.class).stream().map(o -> o.getInt("n")).toList();
    }

    private static Instant instant(String text, String frame) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new AssertionError("ts is not an ISO-8601 UTC instant: " + frame, e);
        }
    }

    private static long millis(String id) {
        return Long.parseLong(id.substring(0, id.indexOf('-')));
    }

    /** Stream ids compare by time, then by sequence. */
    private static int compareIds(String a, String b) {
        String[] x = a.split("-");
        String[] y = b.split("-");
        int byMillis = Long.compare(Long.parseLong(x[0]), Long.parseLong(y[0]));
        return byMillis != 0 ? byMillis : Long.compare(Long.parseLong(x[1]), Long.parseLong(y[1]));
    }

    private static String failureOf(Future<?> future) {
        if (!future.isDone()) {
            return "still running";
        }
        try {
            future.get(0, TimeUnit.SECONDS);
            return "done";
        } catch (ExecutionException e) {
            return "failed: " + e.getCause();
        } catch (InterruptedException | TimeoutException | java.util.concurrent.CancellationException e) {
            return String.valueOf(e);
        }
    }
}
