package dev.herald.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Cursor;
import dev.herald.notification.entity.NotificationId;
import dev.herald.testing.HeraldNode;
import dev.herald.testing.HostileJson;
import dev.herald.testing.NodeWithRedis;
import dev.herald.testing.ServerRuntime;
import dev.herald.testing.TestSocket;
import dev.herald.testing.TestTokens;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.jose4j.jwt.NumericDate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A black-box fuzz pass against the deployed WAR, as a hostile client would send it: a few thousand generated
 * requests over every route, method, header ({@code Content-Type}, {@code Content-Length} lies, {@code Authorization}
 * shapes, {@code Origin}, {@code Sec-WebSocket-Protocol}), path and query parameter, then handshakes, then hostile
 * frames on open sockets. Raw sockets on loopback only, so nothing is normalised on the way. It asserts no 5xx, every
 * error a problem+json, no answered request cut short, no socket for a handshake that should have been refused, and
 * that a victim user's socket received exactly what was accepted for it (the posted text, byte for byte) and nothing
 * that was refused. Bounded in count and time; runs on every server ({@link ServerRuntime}). Reproduce a run with
 * {@code -Dhostile.seed=<seed>}.
 */
class HostileInputIT {

    private static final int HTTP_REQUESTS = 2500;
    private static final int HANDSHAKES = 300;
    private static final int FRAME_SESSIONS = 48;
    private static final int PARALLEL = 4;
    private static final Duration BUDGET = Duration.ofSeconds(45);
    private static final int SOCKET_TIMEOUT_MILLIS = 10_000;
    /** Close codes a socket may end with: Herald's (README) and the WebSocket layer's for a broken protocol, binary data, not UTF-8. */
    private static final Set<Integer> CLOSE_CODES = Set.of(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011);
    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE");
    private static final ServerRuntime SERVER = ServerRuntime.selected();

    private static NodeWithRedis herald;
    private static HeraldNode node;

    @BeforeAll
    static void start() {
        herald = NodeWithRedis.start(SERVER, SERVER.id() + "-hostile", "hostile");
        node = herald.node();
    }

    @AfterAll
    static void stop() {
        if (herald != null) {
            herald.close();
        }
    }

    private final String victim = "victim-" + UUID.randomUUID();
    private final long seed = Long.getLong("hostile.seed", new Random().nextLong());
    private final HostileJson hostile = new HostileJson(new Random(seed));
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Integer> outcomes = Collections.synchronizedMap(new TreeMap<>());
    /** The notification texts the server accepted for the victim. */
    private final List<String> acceptedForVictim = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger fiveHundreds = new AtomicInteger();
    private final String publisherToken = TestTokens.publisher();
    private final String adminToken = TestTokens.admin();

    @Test
    void nothingAClientSendsIsAServerErrorAndNothingRefusedReachesTheVictim() throws Exception {
        // generated first, in one thread, so that a seed reproduces the inputs; sent by a few threads at a time
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < HTTP_REQUESTS; i++) {
            Fuzzed request = request();
            tasks.add(() -> check(request));
        }
        for (int i = 0; i < HANDSHAKES; i++) {
            Handshake handshake = handshake();
            tasks.add(() -> check(handshake));
        }
        for (int i = 0; i < FRAME_SESSIONS; i++) {
            byte[][] frames = frameCase();
            String user = "fuzz-frames-" + i;
            tasks.add(() -> frameSession(user, frames));
        }
        int requests;
        Instant started = Instant.now();
        Instant deadline = started.plus(BUDGET);
        try (TestSocket victimSocket = TestSocket.connect(node.ws("ws/notifications/" + victim + "?token=" + TestTokens.token(victim)))) {
            requests = run(tasks, deadline);
            List<String> received = new ArrayList<>();
            for (int i = 0; i < acceptedForVictim.size(); i++) {
                received.add(payloadOf(victimSocket.next(Duration.ofSeconds(10))));
            }
            victimSocket.assertNothingWithin(Duration.ofMillis(500));
            List<String> expected = acceptedForVictim.stream().map(HostileInputIT::emptyAsBraces).sorted().toList();
            if (!expected.equals(received.stream().sorted().toList())) {
                failures.add("the victim's socket received " + received.stream().map(HostileJson::show).toList()
                        + ", not exactly the texts accepted for it: " + expected.stream().map(HostileJson::show).toList());
            }
        }
        assertEquals(200, node.readyStatus(), "the node is still ready after the run");
        System.out.printf("fuzz: requests %d, 5xx %d%n", requests, fiveHundreds.get());
        System.out.printf("fuzz on %s: %.1f s, seed %d, victim received %d accepted notifications; outcomes %s%n", SERVER,
                Duration.between(started, Instant.now()).toMillis() / 1000.0, seed, acceptedForVictim.size(), outcomes);
        assertTrue(requests >= 1000, "at least 1000 requests within " + BUDGET + ", made " + requests);
        assertTrue(failures.isEmpty(), () -> failures.size() + " failures (-Dhostile.seed=" + seed + "), the first:\n"
                + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
    }

    /** Runs the tasks on a few threads until done or past the deadline; the number that ran. */
    private static int run(List<Callable<Void>> tasks, Instant deadline) throws InterruptedException {
        AtomicInteger ran = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        try {
            for (Future<Void> done : pool.invokeAll(tasks.stream().<Callable<Void>>map(task -> () -> {
                if (Instant.now().isBefore(deadline)) {
                    ran.incrementAndGet();
                    task.call();
                }
                return null;
            }).toList())) {
                try {
                    done.get();
                } catch (ExecutionException e) {
                    throw new AssertionError("a fuzz task failed", e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return ran.get();
    }

    /** The posted object inside a frame: the frame without the {@code id} and {@code ts} Herald put in front. */
    private static String payloadOf(String frame) {
        int ts = frame.indexOf("\"ts\":\"");
        int end = frame.indexOf('"', ts + 6) + 1;
        return frame.charAt(end) == '}' ? "{}" : "{" + frame.substring(end + 1);
    }

    private static String emptyAsBraces(String posted) {
        return posted.replaceAll("[ \t\r\n]", "").equals("{}") ? "{}" : posted;
    }

    // ------------------------------------------------------------------------------------------- HTTP requests

    /** One generated request and what it was meant to do. */
    private record Fuzzed(String method, String target, byte[] bytes, byte[] body, String serverLevel, boolean forVictim,
                          List<String> victimBatchItems) {
        String describe() {
            return method + " " + HostileJson.show(target) + " [" + HostileJson.show(new String(bytes, StandardCharsets.ISO_8859_1)
                    .replaceAll("eyJ[A-Za-z0-9_.-]+", "<jwt>")) + "]";
        }

        boolean framingLie() {
            return serverLevel != null && serverLevel.startsWith("framing");
        }
    }

    /**
     * Why the server's own HTTP layer may refuse this request before Herald sees it (then with its own status and
     * body, not a problem: no application can answer it), or null. Payara's Grizzly refuses a body on GET, DELETE or
     * HEAD, the TRACE method, a control or non-ASCII character in a header, and a path that decodes to NUL, a
     * backslash or a dot segment; Open Liberty a path with an encoded control character or slash; WildFly WEB-INF
     * and META-INF, and may close the connection on TRACE; every server, a framing lie (unanswered, too).
     */
    private static String serverLevel(String method, String target, boolean body, boolean framingLie) {
        String path = target.toLowerCase(Locale.ROOT);
        if (framingLie) {
            return "framing (Content-Length)";
        }
        if ("TRACE".equals(method)) {
            return "TRACE";
        }
        if (body && Set.of("GET", "DELETE", "HEAD", "OPTIONS").contains(method)) {
            return "a body on " + method;
        }
        if (path.matches(".*%(0[0-9a-f]|1[0-9a-f]|7f|5c|2f).*") || path.contains("%2e%2e")) {
            return "path";
        }
        if (path.startsWith("/web-inf/") || path.startsWith("/meta-inf/")) {
            return "a protected directory"; // WildFly's Undertow answers these itself, with its own 404 page
        }
        return null;
    }

    private Fuzzed request() {
        String user = user();
        String target;
        byte[] body = null;
        String method;
        List<String> batchItems = null;
        boolean inbox = false;
        switch (hostile.nextInt(10)) {
            case 0, 1, 2 -> {
                method = "POST";
                target = "/notify/" + encode(user);
                body = hostile.body();
            }
            case 3 -> {
                method = "POST";
                target = hostile.oneOf("/notify", "/notify/");
                body = hostile.body();
            }
            case 4 -> {
                method = "POST";
                target = "/notify-batch";
                batchItems = new ArrayList<>();
                body = batch(batchItems);
            }
            case 5 -> {
                method = "GET";
                target = "/history/" + encode(user) + query("limit", hostile.anyOf(() -> String.valueOf(hostile.nextLong()),
                        () -> hostile.from("0123456789-+e. x", 12))) + "&" + query("after", cursor()).substring(1);
            }
            case 7 -> {
                method = "GET";
                target = "/inbox/" + encode(user) + hostile.oneOf("", "", "/counts") + query("status", hostile.oneOf("unread", "unseen",
                        "archived", "all", "", "UNREAD", hostile.anyString(10))) + "&" + query("limit", hostile.anyOf(
                        () -> String.valueOf(hostile.nextLong()), () -> hostile.from("0123456789-+e. x", 12))).substring(1)
                        + "&" + query("after", cursor()).substring(1);
                inbox = true;
            }
            case 8 -> {
                method = hostile.oneOf("POST", "POST", "DELETE");
                if (method.equals("POST")) {
                    target = "/inbox/" + encode(user) + "/" + hostile.oneOf("read", "unread", "seen", "archive", "unarchive", "forget");
                    body = selection();
                } else {
                    target = hostile.oneOf("/inbox/", "/notify/") + encode(user) + "/" + encode(cursor());
                }
                inbox = true;
            }
            case 6 -> {
                method = "POST";
                target = "/dev/token" + query("user", user) + "&" + query("groups", hostile.from("publisher,admin ", 20)).substring(1);
            }
            default -> {
                method = "GET";
                target = hostile.oneOf("/", "/herald.js", "/herald-react.js", "/index.html", "/favicon.svg", "/errors/problem",
                        "/x", "/notify/a/b", "/history", "/history/", "/WEB-INF/web.xml", "/META-INF/MANIFEST.MF",
                        "/%2e%2e/%2e%2e/etc/passwd", "/ws/notifications", "/ws/notifications/" + encode(user), "/notify%2F42",
                        "/dev/token");
            }
        }
        if (hostile.nextInt(6) == 0) {
            method = METHODS.get(hostile.nextInt(METHODS.size()));
            if (body == null && hostile.nextInt(2) == 0) {
                body = hostile.body();
            }
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        add(headers, "Host", "127.0.0.1:" + node.port());
        add(headers, "Connection", "close");
        // the inbox routes take the user's own token: without it most requests would stop at the 403
        String authorization = inbox && hostile.nextInt(2) == 0 ? "Bearer " + TestTokens.token(user) : authorization();
        if (authorization != null) {
            add(headers, "Authorization", authorization);
        }
        if (body != null || hostile.nextInt(4) == 0) {
            String contentType = contentType();
            if (contentType != null) {
                add(headers, "Content-Type", contentType);
            }
        }
        if (hostile.nextInt(5) == 0) {
            add(headers, "Origin", hostile.oneOf("http://127.0.0.1:" + node.port(), "https://evil.example", "null", "\u0000x"));
        }
        if (hostile.nextInt(6) == 0) {
            add(headers, "Sec-WebSocket-Protocol", hostile.oneOf("herald", "bearer." + publisherToken, "bearer.", ",,,"));
        }
        if (hostile.nextInt(6) == 0) {
            add(headers, "Accept", hostile.oneOf("application/xml", "text/html", "*/*", "application/problem+json", "image/png;q=x"));
        }
        byte[] content = body == null ? new byte[0] : body;
        boolean lie = false;
        boolean involvesVictim = target.equals("/notify/" + encode(victim))
                || batchItems != null && batchItems.stream().anyMatch(java.util.Objects::nonNull);
        if (body != null) {
            // what a lie about the length makes of a body is the server's guess: the victim gets only honest requests
            int framing = hostile.nextInt(12);
            switch (involvesVictim ? 11 : framing) {
                case 0 -> {
                    add(headers, "Content-Length", String.valueOf(Math.max(0, content.length - 1 - hostile.nextInt(5))));
                    lie = true;
                }
                case 1 -> {
                    add(headers, "Content-Length", String.valueOf(content.length + 1 + hostile.nextInt(100)));
                    lie = true;
                }
                case 2 -> {
                    add(headers, "Content-Length", hostile.oneOf("-1", "abc", "1e3", " ", "99999999999999999999"));
                    lie = true;
                }
                case 3 -> {
                    add(headers, "Content-Length", String.valueOf(content.length));
                    add(headers, "Content-Length", String.valueOf(content.length + 7));
                    lie = true;
                }
                case 4 -> {
                    add(headers, "Transfer-Encoding", "chunked");
                    content = chunked(content);
                }
                default -> add(headers, "Content-Length", String.valueOf(content.length));
            }
        }
        boolean forVictim = "POST".equals(method) && target.equals("/notify/" + encode(victim));
        boolean controlCharacter = headers.values().stream().flatMap(List::stream).anyMatch(value -> value.chars().anyMatch(c -> c < 0x20 && c != '\t' || c > 0x7E));
        return new Fuzzed(method, target, http(method, target, headers, content), body,
                controlCharacter ? "a control or non-ASCII character in a header" : serverLevel(method, target, body != null, lie), forVictim,
                "POST".equals(method) && target.equals("/notify-batch") ? batchItems : null);
    }

    private Void check(Fuzzed request) {
        Answer answer;
        try {
            answer = exchange(request.bytes(), "HEAD".equals(request.method()));
        } catch (IOException e) {
            if (request.serverLevel() == null) {
                failures.add("no answer (" + e + ") to " + request.describe());
            }
            count("no answer");
            return null;
        }
        if (answer == null) {
            if (request.serverLevel() == null) {
                failures.add("connection closed without an answer to " + request.describe());
            }
            count("no answer");
            return null;
        }
        count(String.valueOf(answer.status()));
        if (!answer.complete()) {
            failures.add("the answer " + answer.status() + " was cut short: " + request.describe());
        }
        if (answer.status() >= 500) {
            fiveHundreds.incrementAndGet();
            failures.add(answer + " for " + request.describe());
        } else if (answer.status() >= 400 && !"HEAD".equals(request.method())) {
            if (request.serverLevel() != null && !answer.headers().getOrDefault("content-type", "").startsWith("application/problem+json")) {
                count(answer.status() + " by the server's HTTP layer: " + request.serverLevel());
            } else {
                checkProblem(answer, request.describe());
            }
        }
        if (answer.status() == 202 && request.forVictim()) {
            acceptedForVictim.add(new String(request.body(), StandardCharsets.UTF_8).replaceAll("^[ \t\r\n]+|[ \t\r\n]+$", ""));
        }
        if ((answer.status() == 202 || answer.status() == 207) && request.victimBatchItems() != null && !request.framingLie()) {
            JsonValue results = parse(answer.body());
            if (results == null) {
                failures.add("a batch answer that is not JSON: " + answer);
                return null;
            }
            List<JsonObject> items = results.asJsonObject().getJsonArray("results").getValuesAs(JsonObject.class);
            for (int i = 0; i < items.size() && i < request.victimBatchItems().size(); i++) {
                String posted = request.victimBatchItems().get(i);
                if (posted != null && items.get(i).getInt("status") == 202) {
                    acceptedForVictim.add(posted);
                }
            }
        }
        return null;
    }

    private void checkProblem(Answer answer, String what) {
        if (!answer.headers().getOrDefault("content-type", "").startsWith("application/problem+json") || !isProblem(answer)) {
            failures.add("not a problem+json: " + answer + " for " + what);
        }
    }

    /** The body is an RFC 9457 problem with the answer's status and a detail. */
    private static boolean isProblem(Answer answer) {
        JsonValue json = parse(answer.body());
        return json != null && json.getValueType() == JsonValue.ValueType.OBJECT
                && json.asJsonObject().getInt("status", -1) == answer.status()
                && !json.asJsonObject().getString("detail", "").isBlank();
    }

    private String user() {
        return hostile.anyOf(() -> victim, () -> victim, () -> "fuzz-" + hostile.nextInt(50), () -> hostile.anyString(20),
                () -> hostile.from("Aa0._@:-/%+ ", 140), () -> "");
    }

    private String cursor() {
        return hostile.anyOf(() -> hostile.anyString(30), () -> hostile.from("0123456789-", 45), () -> "0",
                () -> "9223372036854775807-9223372036854775807", () -> "18446744073709551616-0");
    }

    private String authorization() {
        return switch (hostile.nextInt(12)) {
            case 0, 1, 2, 3, 4, 5 -> "Bearer " + publisherToken;
            case 6 -> null;
            case 7 -> "Bearer " + adminToken;
            case 8 -> "Bearer " + hostile.oneOf(TestTokens.signedByAnotherKey("p"), TestTokens.unsigned("p"),
                    TestTokens.hmacWithThePublicKey("p"), TestTokens.token("fuzz-1"),
                    TestTokens.with("p", claims -> claims.setExpirationTime(NumericDate.fromSeconds(1))));
            case 9 -> hostile.oneOf("Bearer", "Bearer ", "bearer " + publisherToken, "Basic Zm9vOmJhcg==", "Bearer a.b.c",
                    "Bearer " + "x".repeat(3000), "Bearer " + publisherToken + " extra", "Negotiate");
            default -> "Bearer " + hostile.from("abcXYZ019-_.=", 60);
        };
    }

    private String contentType() {
        return hostile.anyOf(() -> "application/json", () -> "application/json", () -> "application/json", () -> null,
                () -> hostile.oneOf("application/json; charset=utf-8", "application/json;charset=UTF8", "application/json; charset=\"utf-8\"",
                        "application/json; charset=utf-16", "application/json; charset=latin1", "application/json; charset=",
                        "application/json;;;==", "application/json; boundary=x", "text/plain", "application/xml",
                        "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "*/*", "garbage", "application/",
                        "application/problem+json", "APPLICATION/JSON", "application/json; charset=utf-8; charset=utf-16"));
    }

    /** A batch body; the items addressed to the victim (unmutated bodies only) are noted with their notification's text. */
    private byte[] batch(List<String> victimItems) {
        if (hostile.nextInt(5) == 0) {
            return hostile.body();
        }
        List<String> items = new ArrayList<>();
        int count = hostile.nextInt(6);
        for (int i = 0; i < count; i++) {
            String notification = hostile.nextInt(3) == 0 ? hostile.deep() : hostile.object();
            boolean toVictim = hostile.nextInt(2) == 0;
            String user = toVictim ? victim : hostile.oneOf("fuzz-1", "bad id", "");
            items.add(hostile.anyOf(() -> "{\"userId\":" + HostileJson.literal(user) + ",\"notification\":" + notification + "}",
                    () -> "{\"userId\":" + HostileJson.literal(user) + ",\"userId\":\"fuzz-2\",\"notification\":" + notification + "}"));
            // as the server reads it: a lone surrogate in the generated text goes out as '?' in UTF-8
            victimItems.add(toVictim ? new String(HostileJson.utf8(notification), StandardCharsets.UTF_8) : null);
        }
        String batch = "[" + String.join(",", items) + "]";
        if (hostile.nextInt(3) == 0) {
            victimItems.replaceAll(item -> null); // a mutated body: whatever is accepted of it goes to fuzz users only
            return hostile.mutated(batch.replace(HostileJson.literal(victim), "\"fuzz-3\""));
        }
        return HostileJson.utf8(batch);
    }

    /** A mark's body: {"ids": […]} or {"upTo": …} (more ids than the history size now and then), both, or anything. */
    private byte[] selection() {
        List<String> ids = new ArrayList<>();
        for (int i = hostile.nextInt(8) == 0 ? 150 : hostile.nextInt(4); i > 0; i--) {
            ids.add(hostile.anyOf(() -> HostileJson.literal(cursor()), () -> HostileJson.literal("1-0"), () -> "1", () -> "null", hostile::object));
        }
        String upTo = "\"upTo\":" + HostileJson.literal(cursor());
        String idList = "\"ids\":[" + String.join(",", ids) + "]";
        String selection = "{" + hostile.oneOf(idList, idList, upTo, upTo, idList + "," + upTo, "", idList + "," + idList, "\"id\":[]") + "}";
        return hostile.anyOf(() -> HostileJson.utf8(selection), () -> HostileJson.utf8(selection), () -> hostile.mutated(selection), hostile::body);
    }

    // ----------------------------------------------------------------------------------------------- handshakes

    /** A generated handshake, and whether Herald may open a socket for it at all. */
    private record Handshake(byte[] bytes, String describe, boolean mayOpen, boolean wellFormed) {
    }

    private Handshake handshake() {
        boolean toVictim = hostile.nextInt(3) == 0;
        String user = toVictim ? victim : hostile.anyOf(() -> "fuzz-" + hostile.nextInt(50), () -> hostile.from("Aa0._@:-/%+ ", 20));
        boolean broadcast = hostile.nextInt(6) == 0;
        String path = broadcast ? "/ws/notifications" : "/ws/notifications/" + encode(user);
        boolean validUser = broadcast || user.matches("[A-Za-z0-9._@:-]{1,128}");
        // never the victim's own token; members of two of the three groups handshakes may ask for
        String validToken = TestTokens.token(toVictim ? "fuzz-0" : user, "group:fuzz-g1", "group:fuzz-g2");
        Map<String, List<String>> headers = new LinkedHashMap<>();
        add(headers, "Host", "127.0.0.1:" + node.port());
        add(headers, "Upgrade", hostile.oneOf("websocket", "websocket", "websocket", "WebSocket", "h2c"));
        add(headers, "Connection", "Upgrade");
        add(headers, "Sec-WebSocket-Key", hostile.oneOf(Base64.getEncoder().encodeToString(UUID.randomUUID().toString().substring(0, 16).getBytes()),
                "x", ""));
        add(headers, "Sec-WebSocket-Version", hostile.oneOf("13", "13", "13", "8", "x"));
        List<String> query = new ArrayList<>();
        boolean tokenValidForPath = false;
        switch (hostile.nextInt(6)) {
            case 0 -> {
                query.add(query("token", validToken).substring(1));
                tokenValidForPath = !toVictim || broadcast;
            }
            case 1 -> {
                add(headers, "Authorization", "Bearer " + validToken);
                tokenValidForPath = !toVictim || broadcast;
            }
            case 2 -> {
                add(headers, "Sec-WebSocket-Protocol", hostile.oneOf("herald, bearer." + validToken, "bearer." + validToken));
                tokenValidForPath = !toVictim || broadcast;
            }
            case 3 -> query.add(query("token", hostile.oneOf(TestTokens.signedByAnotherKey(user), TestTokens.unsigned(user),
                    TestTokens.hmacWithThePublicKey(user), "a.b.c", "", hostile.anyString(30))).substring(1));
            case 4 -> add(headers, "Sec-WebSocket-Protocol", hostile.oneOf("bearer.", "bearer.x", ",,,", "herald", hostile.anyString(20)));
            default -> { }
        }
        String broadcastParameter = null;
        if (hostile.nextInt(5) == 0) {
            broadcastParameter = hostile.oneOf("true", "false", "FALSE", "yes", "");
            query.add(query("broadcast", broadcastParameter).substring(1));
        }
        boolean broadcastValid = broadcastParameter == null || broadcastParameter.equalsIgnoreCase("true") || broadcastParameter.equalsIgnoreCase("false");
        int streams = broadcast ? ("false".equalsIgnoreCase(broadcastParameter) ? 0 : 1) : ("true".equalsIgnoreCase(broadcastParameter) ? 2 : 1);
        boolean groupsValid = true;
        if (hostile.nextInt(3) == 0) {
            String groups = hostile.anyOf(() -> hostile.oneOf("fuzz-g1", "fuzz-g1,fuzz-g2", "fuzz-g2,,fuzz-g1,fuzz-g1", "fuzz-g3", ""),
                    () -> hostile.from("fuzz-g123,:/% ", 24), () -> "fuzz-g1,".repeat(40), () -> String.join(",",
                            java.util.stream.IntStream.range(0, 40).mapToObj(i -> "g" + i).toList()));
            query.add(query("groups", groups).substring(1));
            List<String> asked = Arrays.stream(groups.split(",")).filter(group -> !group.isEmpty()).distinct().toList();
            groupsValid = asked.stream().allMatch(group -> group.equals("fuzz-g1") || group.equals("fuzz-g2")); // well-formed and granted
            streams += asked.size();
        }
        boolean streamsValid = broadcastValid && groupsValid && streams >= 1 && streams <= 32;
        boolean sinceValid = true;
        if (hostile.nextInt(3) == 0) {
            String since = hostile.anyOf(this::cursor, () -> "h1." + hostile.from("AZaz09-_=.", 30),
                    () -> Cursor.encode(new String[] {"user", "broadcast", "group:fuzz-g1"}, new NotificationId[] {NotificationId.ZERO,
                            new NotificationId(hostile.nextInt(1 << 30), 0), NotificationId.parse(hostile.from("0123456789", 17) + "0")}));
            sinceValid = Cursor.looksLike(since) ? isCursor(since)
                    : streams == 1 && since.matches("[0-9]{1,19}(-[0-9]{1,19})?") && !since.startsWith("9223372036854775808");
            query.add(query("since", since).substring(1));
        }
        boolean originAllowed = true;
        if (hostile.nextInt(4) == 0) {
            String origin = hostile.oneOf("http://127.0.0.1:" + node.port(), "https://evil.example", "null", "http://127.0.0.1:1");
            originAllowed = origin.equals("http://127.0.0.1:" + node.port());
            add(headers, "Origin", origin);
        }
        // the key is not checked: it proves nothing about the client, and containers accept any
        boolean wellFormedUpgrade = headers.get("Upgrade").get(0).equalsIgnoreCase("websocket")
                && headers.get("Sec-WebSocket-Version").get(0).equals("13");
        // a server may also speak an older WebSocket draft (WildFly takes version 8): the version decides nothing here
        boolean mayOpen = validUser && tokenValidForPath && streamsValid && sinceValid && originAllowed;
        String target = path + (query.isEmpty() ? "" : "?" + String.join("&", query));
        byte[] request = http("GET", target, headers, new byte[0]);
        String what = "handshake " + HostileJson.show(target) + " " + headers.keySet() + " Upgrade: " + headers.get("Upgrade").get(0)
                + ", version " + headers.get("Sec-WebSocket-Version").get(0);
        boolean controlCharacter = headers.values().stream().flatMap(List::stream).anyMatch(value -> value.chars().anyMatch(c -> c < 0x20 && c != '\t' || c > 0x7E));
        // Open Liberty's WebSocket layer refuses a key that is not 16 bytes in base64 itself, with a bare 400
        boolean properKey = headers.get("Sec-WebSocket-Key").get(0).length() == 24;
        return new Handshake(request, what, mayOpen, wellFormedUpgrade && properKey && !controlCharacter);
    }

    private static boolean isCursor(String since) {
        try {
            Cursor.parse(since);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private Void check(Handshake handshake) {
        String what = handshake.describe();
        try (Socket socket = connect()) {
            socket.getOutputStream().write(handshake.bytes());
            Answer answer = read(socket.getInputStream(), false);
            if (answer == null) {
                failures.add("no answer to " + what);
                return null;
            }
            count("handshake " + answer.status());
            // 101 to another protocol is no socket: WildFly upgrades "Upgrade: h2c" to HTTP/2, whatever the path
            if (answer.status() == 101 && "websocket".equalsIgnoreCase(answer.headers().get("upgrade"))) {
                if (!handshake.mayOpen()) {
                    failures.add("a socket opened that should have been refused: " + what);
                }
                socket.getOutputStream().write(frame(0x88, new byte[]{0x03, (byte) 0xE8}, true));
            } else if (answer.status() >= 500) {
                fiveHundreds.incrementAndGet();
                failures.add(answer + " for " + what);
            } else if (answer.status() >= 400 && handshake.wellFormed()) {
                checkProblem(answer, what);
            }
        } catch (IOException e) {
            failures.add("no answer (" + e + ") to " + what);
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------- frames

    private byte[][] frameCase() {
        byte[] text = HostileJson.utf8(hostile.anyOf(() -> hostile.anyString(50), hostile::object));
        return switch (hostile.nextInt(12)) {
            case 0 -> new byte[][]{frame(0x81, text, true)};
            case 1 -> new byte[][]{frame(0x81, new byte[65_537], true)};
            case 2 -> new byte[][]{frame(0x81, hostile.mutated(new String(text, StandardCharsets.UTF_8)), true)};
            case 3 -> new byte[][]{frame(0x81, new byte[]{'"', (byte) 0xFF, (byte) 0xFE, '"'}, true)};
            case 4 -> new byte[][]{frame(0x82, hostile.bytes(100), true)};
            case 5 -> new byte[][]{frame(0x81, text, false)};
            case 6 -> new byte[][]{frame(0x80 | (3 + hostile.nextInt(5)), text, true)};
            case 7 -> new byte[][]{frame(0xC1, text, true)};
            case 8 -> new byte[][]{frame(0x80, text, true)};
            case 9 -> new byte[][]{frame(0x89, new byte[200], true)};
            case 10 -> new byte[][]{frame(0x01, text, true), frame(0x80, text, true)};
            default -> new byte[][]{frame(0x88, new byte[]{0x03, (byte) 0xE7, (byte) 0xFF}, true)};
        };
    }

    /** Opens a proper socket, sends the frames, and says how it ended: still open, closed with a code, or dropped. */
    private Void frameSession(String user, byte[][] frames) {
        String outcome = frameOutcome(user, frames);
        if (outcome.startsWith("FAIL")) {
            failures.add(outcome);
        } else {
            count(outcome + " (first byte 0x" + Integer.toHexString(frames[0][0] & 0xFF) + ")");
        }
        return null;
    }

    private String frameOutcome(String user, byte[][] frames) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        add(headers, "Host", "127.0.0.1:" + node.port());
        add(headers, "Upgrade", "websocket");
        add(headers, "Connection", "Upgrade");
        add(headers, "Sec-WebSocket-Key", Base64.getEncoder().encodeToString(new byte[16]));
        add(headers, "Sec-WebSocket-Version", "13");
        byte[] handshake = http("GET", "/ws/notifications/" + user + "?token=" + TestTokens.token(user), headers, new byte[0]);
        try (Socket socket = connect()) {
            socket.getOutputStream().write(handshake);
            Answer answer = read(socket.getInputStream(), true);
            if (answer == null || answer.status() != 101) {
                return "FAIL: a proper handshake was not accepted: " + answer;
            }
            OutputStream out = socket.getOutputStream();
            for (byte[] frame : frames) {
                out.write(frame);
            }
            out.flush();
            socket.setSoTimeout(1500);
            InputStream in = socket.getInputStream();
            try {
                int first = in.read();
                if (first < 0) {
                    return "frames: dropped";
                }
                int length = in.read() & 0x7F;
                if ((first & 0x0F) != 0x8) {
                    return "FAIL: the server answered hostile frames with opcode " + (first & 0x0F);
                }
                int code = length >= 2 ? (in.read() << 8) | in.read() : 1005;
                if (!CLOSE_CODES.contains(code) && code != 1005) {
                    return "FAIL: closed with undocumented code " + code + " after " + HostileJson.show(frames[0]);
                }
                return "frames: closed " + code;
            } catch (SocketTimeoutException stillOpen) {
                out.write(frame(0x88, new byte[]{0x03, (byte) 0xE8}, true));
                return "frames: still open";
            }
        } catch (IOException e) {
            return "frames: dropped";
        }
    }

    /** A client frame (masked unless told otherwise), with {@code first} as its first byte (FIN, RSV, opcode). */
    private static byte[] frame(int first, byte[] payload, boolean masked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(first);
        int mask = masked ? 0x80 : 0;
        if (payload.length < 126) {
            out.write(mask | payload.length);
        } else if (payload.length < 65_536) {
            out.write(mask | 126);
            out.write(payload.length >> 8);
            out.write(payload.length & 0xFF);
        } else {
            out.write(mask | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) ((long) payload.length >> shift) & 0xFF);
            }
        }
        byte[] key = {0x12, 0x34, 0x56, 0x78};
        if (masked) {
            out.writeBytes(key);
        }
        for (int i = 0; i < payload.length; i++) {
            out.write(masked ? payload[i] ^ key[i % 4] : payload[i]);
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------------------------------ raw HTTP/1.1

    /** An answer as read off the wire; {@code complete} is false when the connection ended before its body did. */
    private record Answer(int status, Map<String, String> headers, byte[] body, boolean complete) {
        @Override
        public String toString() {
            return status + " " + headers.getOrDefault("content-type", "") + " " + HostileJson.show(body);
        }
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.port());
        socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
        return socket;
    }

    private static Answer exchange(byte[] request, boolean head) throws IOException {
        try (Socket socket = connect()) {
            try {
                socket.getOutputStream().write(request);
                socket.shutdownOutput(); // a body shorter than its Content-Length ends here, not in a timeout
            } catch (IOException e) {
                // A server may answer before it has read the whole body (a 406 or 401 needs none of it) and close
                // (RFC 9112 section 9.6): the rest of a large body then meets a closed connection. The answer is still
                // there to read, as for any HTTP client.
            }
            return read(socket.getInputStream(), head);
        }
    }

    /** The first answer on the connection (1xx other than 101 skipped), or null if none came. */
    private static Answer read(InputStream in, boolean noBody) throws IOException {
        while (true) {
            String statusLine = line(in);
            if (statusLine == null || statusLine.isEmpty()) {
                return null;
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.merge(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip(), (a, b) -> a + ", " + b);
                }
            }
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            if (status >= 100 && status < 200 && status != 101) {
                continue;
            }
            if (noBody || status == 101 || status == 204 || status == 304) {
                return new Answer(status, headers, new byte[0], true);
            }
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                while (true) {
                    String size = line(in);
                    if (size == null) {
                        return new Answer(status, headers, body.toByteArray(), false);
                    }
                    int length = Integer.parseInt(size.split(";")[0].strip(), 16);
                    if (length == 0) {
                        return new Answer(status, headers, body.toByteArray(), true);
                    }
                    byte[] chunk = in.readNBytes(length);
                    body.writeBytes(chunk);
                    line(in);
                    if (chunk.length < length) {
                        return new Answer(status, headers, body.toByteArray(), false);
                    }
                }
            }
            if (headers.containsKey("content-length")) {
                int length = Integer.parseInt(headers.get("content-length"));
                byte[] body = in.readNBytes(length);
                return new Answer(status, headers, body, body.length == length);
            }
            return new Answer(status, headers, in.readAllBytes(), true);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    private static byte[] http(String method, String target, Map<String, List<String>> headers, byte[] body) {
        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        headers.forEach((name, values) -> values.forEach(value -> head.append(name).append(": ").append(value).append("\r\n")));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static void add(Map<String, List<String>> headers, String name, String value) {
        // header values stay on one line: a CR or LF would be request smuggling, not a value
        headers.computeIfAbsent(name, n -> new ArrayList<>()).add(value.replaceAll("[\r\n]", " "));
    }

    private static byte[] chunked(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int half = body.length / 2;
        for (byte[] part : List.of(Arrays.copyOf(body, half), Arrays.copyOfRange(body, half, body.length))) {
            if (part.length > 0) {
                out.writeBytes((Integer.toHexString(part.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.writeBytes(part);
                out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String query(String name, String value) {
        return "?" + name + "=" + encode(value);
    }

    private void count(String outcome) {
        synchronized (outcomes) {
            outcomes.merge(outcome, 1, Integer::sum);
        }
    }

    private static JsonValue parse(byte[] body) {
        try {
            return HostileJson.reference(new String(body, StandardCharsets.UTF_8)).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
