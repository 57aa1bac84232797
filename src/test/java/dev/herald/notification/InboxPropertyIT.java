package dev.herald.notification;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.testing.Await;
import dev.herald.testing.HeraldNode;
import dev.herald.testing.Http;
import dev.herald.testing.Http.Reply;
import dev.herald.testing.JsonText;
import dev.herald.testing.RedisServer;
import dev.herald.testing.TestSocket;
import dev.herald.testing.TestTokens;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The inbox's counts never drift (issue 15): two Payara Micro nodes on one durable redis-server (AOF, so a SIGKILL and
 * restart keeps every acknowledged write), three users with a {@code herald.2} socket on each node, and a seeded random
 * sequence of steps, each sent to either node: publish, batch, mark (read, unread, seen, archive, unarchive) by ids or
 * up to an id, delete, retract, publish with {@code Herald-Expires: PT1S}, publishing past {@code herald.history.size}
 * ({@value #HISTORY} here), and one Redis SIGKILL and restart in the middle.
 * <p>
 * After every step, for each user it touched (and every user with an expiry due): {@code GET /inbox/{u}/counts} equals a recount of the states of
 * {@code GET /inbox/{u}?status=all&limit=}{@value #HISTORY} (read twice around the listing, so an expiry between them
 * shows as a disagreement that is read again, never as drift), a mark, delete or retract answered with those same counts,
 * and every open {@code herald.2} socket of that user has received them as its last counts frame (awaited with a
 * deadline). A socket that drops reconnects; its first counts frame then counts. After the Redis restart every socket must
 * get a counts frame again (the catch-up's) before the steps go on.
 * <p>
 * Steps are bounded by count ({@code -Dinbox.steps}, 3000) and time ({@code -Dinbox.seconds}, 150: 3000 steps take
 * 100-130 s on 2 cores). The seed is printed; {@code -Dinbox.seed=<seed>} replays the same sequence. The last line is {@code inbox: steps N, drift 0}. Run with
 * {@code ./mvnw verify -Dit.test=InboxPropertyIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class InboxPropertyIT {

    static final int HISTORY = 20;
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final Duration EXPIRY = Duration.ofSeconds(1);
    /** How long after its expiry an expiring notification may still be listed (the sweeper runs every 500 ms). */
    private static final Duration EXPIRY_GRACE = Duration.ofSeconds(5);
    private static final List<String> MARKS = List.of("read", "unread", "seen", "archive", "unarchive");

    private static RedisServer redis;
    private static HeraldNode a;
    private static HeraldNode b;

    private final List<String> users = List.of("inbox-p0", "inbox-p1", "inbox-p2");
    private final Map<String, List<Watched>> sockets = new LinkedHashMap<>();
    private final Map<String, List<JsonObject>> listings = new HashMap<>();
    /** Per user: expiring ids not yet seen gone, with the time (ms) they expire. */
    private final Map<String, Map<String, Long>> expiring = new HashMap<>();
    private final Deque<String> recent = new ArrayDeque<>();
    private Random random;
    private long seed;
    private int step;
    private int reconnects;
    private int expired;
    private int published;
    /** Where the time goes, in ns: the REST reads, waiting for the sockets' counts, the steps themselves. */
    private long restNanos;
    private long socketNanos;

    /** A herald.2 socket of a user on one node, and the last counts frame it received (null: none since it opened). */
    private static final class Watched {
        final HeraldNode node;
        final String user;
        TestSocket socket;
        Counts last;
        int countsFrames;

        Watched(HeraldNode node, String user) {
            this.node = node;
            this.user = user;
            open();
        }

        void open() {
            socket = TestSocket.connectHerald2(node.ws("ws/notifications/" + user), TestTokens.token(user));
            assertEquals("herald.2", socket.subprotocol());
            last = null;
        }

        /** Takes every frame already here (or arriving within {@code wait}); false once the socket closed with none left. */
        boolean drain(Duration wait) {
            String frame = socket.poll(wait);
            while (frame != null) {
                JsonObject json = JsonText.object(frame);
                if ("counts".equals(json.getString("herald", null))) {
                    last = Counts.of(json);
                    countsFrames++;
                }
                frame = socket.poll(Duration.ZERO);
            }
            return !socket.closed().isDone();
        }

        @Override
        public String toString() {
            return user + "@" + node.name();
        }
    }

    record Counts(long unread, long unseen, long total) {
        static Counts of(JsonObject json) {
            return new Counts(json.getJsonNumber("unread").longValue(), json.getJsonNumber("unseen").longValue(),
                    json.getJsonNumber("total").longValue());
        }

        static Counts recount(List<JsonObject> entries) {
            long unread = 0;
            long unseen = 0;
            long total = 0;
            for (JsonObject entry : entries) {
                if (entry.getBoolean("archived")) {
                    continue;
                }
                total++;
                unread += entry.getBoolean("read") ? 0 : 1;
                unseen += entry.getBoolean("seen") ? 0 : 1;
            }
            return new Counts(unread, unseen, total);
        }
    }

    @BeforeAll
    static void boot() {
        redis = RedisServer.startDurable();
        Map<String, String> config = Map.of("HERALD_HISTORY_SIZE", String.valueOf(HISTORY));
        a = HeraldNode.create("inbox-A", redis.uri(), config);
        b = HeraldNode.create("inbox-B", redis.uri(), config);
        HeraldNode.startAll(a, b);
    }

    @AfterAll
    static void shutdown() {
        HeraldNode.closeAll(a, b);
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void the_counts_equal_a_recount_of_the_entries_and_every_socket_last_heard_them_after_every_step() {
        seed = Long.getLong("inbox.seed", System.nanoTime());
        int maxSteps = Integer.getInteger("inbox.steps", 3000);
        Duration budget = Duration.ofSeconds(Long.getLong("inbox.seconds", 150));
        random = new Random(seed);
        int killAt = Math.min(maxSteps / 2, 150 + random.nextInt(200));
        System.out.println("inbox: seed " + seed + " (-Dinbox.seed=" + seed + " replays it), Redis SIGKILL at step " + killAt
                + " or half-time, history size " + HISTORY);
        for (String user : users) {
            sockets.put(user, List.of(new Watched(a, user), new Watched(b, user)));
            listings.put(user, List.of());
            expiring.put(user, new HashMap<>());
        }
        check("on open", users, null, null);

        long started = System.nanoTime();
        long end = started + budget.toNanos();
        boolean killed = false;
        while (step < maxSteps && System.nanoTime() < end) {
            step++;
            if (!killed && (step >= killAt || System.nanoTime() > started + budget.toNanos() / 2)) {
                killed = true;
                killRedis();
                continue;
            }
            randomStep();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        if (!killed) {
            throw new AssertionError("the steps ended before the Redis SIGKILL (step " + step + "); seed " + seed);
        }
        System.out.println("inbox: " + published + " published, " + expired + " expired and gone, " + reconnects
                + " socket reconnects, " + took.toMillis() + " ms of steps (" + restNanos / 1_000_000 + " ms reading counts and inboxes, "
                + socketNanos / 1_000_000 + " ms awaiting sockets' counts)");
        System.out.println("inbox: steps " + step + ", drift 0");
    }

    // ------------------------------------------------------------------------------------------------ steps

    private void randomStep() {
        String user = users.get(random.nextInt(users.size()));
        int dice = random.nextInt(100);
        if (dice < 22) {
            publish(user, false);
        } else if (dice < 26) {
            publish(user, true);
        } else if (dice < 31) {
            batch();
        } else if (dice < 75) {
            mark(user);
        } else if (dice < 85) {
            delete(user, false);
        } else if (dice < 93) {
            delete(user, true);
        } else {
            // a burst: past the history size, so trimming drops the oldest entries (and their states) from the counts
            int count = 3 + random.nextInt(HISTORY);
            note("burst of " + count + " to " + user);
            for (int i = 0; i < count; i++) {
                publishTo(user, false);
            }
            check("burst", List.of(user), null, null);
        }
    }

    private void publish(String user, boolean expires) {
        String id = publishTo(user, expires);
        note("publish " + id + " to " + user + (expires ? " expiring in " + EXPIRY : ""));
        check("publish", List.of(user), null, null);
    }

    private String publishTo(String user, boolean expires) {
        String body = "{\"title\":\"step " + step + "\",\"n\":" + published + "}";
        Reply reply = expires
                ? Http.post(node().http("notify/" + user), TestTokens.publisher(), body, "Herald-Expires", EXPIRY.toString())
                : Http.post(node().http("notify/" + user), TestTokens.publisher(), body);
        expect(202, reply, "publish to " + user);
        published++;
        String id = reply.json().getString("id");
        if (expires) {
            expiring.get(user).put(id, System.currentTimeMillis() + EXPIRY.toMillis());
        }
        return id;
    }

    private void batch() {
        JsonArrayBuilder items = Json.createArrayBuilder();
        int count = 2 + random.nextInt(6);
        List<String> to = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String user = users.get(random.nextInt(users.size()));
            to.add(user);
            items.add(Json.createObjectBuilder().add("userId", user)
                    .add("notification", Json.createObjectBuilder().add("step", step).add("item", i)));
        }
        Reply reply = Http.post(node().http("notify-batch"), TestTokens.publisher(), items.build().toString());
        expect(202, reply, "batch to " + to);
        published += count;
        note("batch to " + to);
        check("batch", to, null, null);
    }

    private void mark(String user) {
        String mark = MARKS.get(random.nextInt(MARKS.size()));
        List<JsonObject> listing = listings.get(user);
        String body;
        if (!listing.isEmpty() && random.nextInt(4) == 0) {
            String upTo = listing.get(random.nextInt(listing.size())).getString("id");
            body = Json.createObjectBuilder().add("upTo", upTo).build().toString();
        } else {
            JsonArrayBuilder ids = Json.createArrayBuilder();
            int count = 1 + random.nextInt(3);
            for (int i = 0; i < count; i++) {
                ids.add(listing.isEmpty() || random.nextInt(10) == 0
                        ? "1-" + random.nextInt(5) // not held: ignored
                        : pick(listing, mark).getString("id"));
            }
            body = Json.createObjectBuilder().add("ids", ids).build().toString();
        }
        String token = random.nextInt(5) == 0 ? TestTokens.admin() : TestTokens.token(user);
        Reply reply = Http.post(node().http("inbox/" + user + "/" + mark), token, body);
        expect(200, reply, mark + " " + body + " of " + user);
        note(mark + " " + body + " of " + user);
        check(mark, List.of(user), user, Counts.of(reply.json()));
    }

    /** An entry the mark changes, most of the time (unarchive wants an archived one, the others an entry in the inbox). */
    private JsonObject pick(List<JsonObject> listing, String mark) {
        List<JsonObject> fitting = listing.stream()
                .filter(entry -> entry.getBoolean("archived") == mark.equals("unarchive")).toList();
        List<JsonObject> from = fitting.isEmpty() || random.nextInt(5) == 0 ? listing : fitting;
        return from.get(random.nextInt(from.size()));
    }

    private void delete(String user, boolean retract) {
        List<JsonObject> listing = listings.get(user);
        if (listing.isEmpty()) {
            publish(user, false);
            return;
        }
        String id = listing.get(random.nextInt(listing.size())).getString("id");
        Reply reply = retract
                ? Http.delete(node().http("notify/" + user + "/" + id), TestTokens.publisher())
                : Http.delete(node().http("inbox/" + user + "/" + id), random.nextBoolean() ? TestTokens.token(user) : TestTokens.admin());
        String what = (retract ? "retract " : "delete ") + id + " of " + user;
        note(what);
        if (reply.status() == 404 && expiring.get(user).containsKey(id)) {
            check(what + " (it had expired)", List.of(user), null, null); // it expired since the listing: not held any more
            return;
        }
        expect(200, reply, what);
        check(what, List.of(user), user, Counts.of(reply.json()));
        // once gone, never listed again
        if (listings.get(user).stream().anyMatch(entry -> entry.getString("id").equals(id))) {
            throw drift(what, user, id + " is still listed after its " + (retract ? "retract" : "delete"));
        }
    }

    private void killRedis() {
        note("Redis SIGKILL (pid " + redis.pid() + ") and restart");
        Map<Watched, Integer> before = new HashMap<>();
        sockets.values().forEach(list -> list.forEach(watched -> before.put(watched, watched.countsFrames)));
        redis.kill();
        for (HeraldNode node : new HeraldNode[] {a, b}) {
            await(node + " /health/ready answers 503 while Redis is down", () -> node.readyStatus() == 503);
        }
        redis.restart();
        for (HeraldNode node : new HeraldNode[] {a, b}) {
            await(node + " /health/ready answers 200 once Redis is back", () -> node.readyStatus() == 200);
        }
        // every socket hears the counts again after the catch-up (or, reconnected, on open) before the steps go on
        for (List<Watched> list : sockets.values()) {
            for (Watched watched : list) {
                await(watched + " gets a counts frame after the Redis restart", () -> {
                    if (!watched.drain(Duration.ofMillis(50))) {
                        reopen(watched);
                        before.put(watched, -1);
                    }
                    return watched.countsFrames > before.get(watched) && watched.last != null;
                });
            }
        }
        check("Redis restart", users, null, null);
    }

    // ------------------------------------------------------------------------------------------------ the property

    /**
     * For the users the step touched, and every user with an expiry due: the counts equal a recount of the entries'
     * states (and {@code answered}, the counts {@code user}'s step answered with, unless an expiry may have come between),
     * and every socket of that user last heard them.
     */
    private void check(String what, Collection<String> touched, String user, Counts answered) {
        for (String u : users) {
            if (!touched.contains(u) && !expiryPending(u)) {
                continue;
            }
            List<JsonObject> before = listings.get(u);
            boolean expiryDue = expiryPending(u); // asked before the recount forgets what expired meanwhile
            Counts counts = restCounts(what, u);
            if (u.equals(user) && !expiryDue && !counts.equals(answered)) {
                throw drift(what, u, "the step answered " + answered + " but GET counts then says " + counts
                        + "; listed before the step " + before + ", after it " + listings.get(u));
            }
            for (Watched watched : sockets.get(u)) {
                // what the last socket's wait read again (an expiry came meanwhile) is what the next one must have heard
                counts = awaitSocket(what, watched, counts);
            }
        }
    }

    /** GET counts, the listing, GET counts again: the counts once both reads agree with the recount; drift otherwise. */
    private Counts restCounts(String what, String user) {
        long start = System.nanoTime();
        try {
            return readCounts(what, user);
        } finally {
            restNanos += System.nanoTime() - start;
        }
    }

    private Counts readCounts(String what, String user) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            Counts before = Counts.of(expect(200, Http.get(node().http("inbox/" + user + "/counts"), TestTokens.token(user)),
                    "counts of " + user).json());
            Reply listed = expect(200, Http.get(node().http("inbox/" + user + "?status=all&limit=" + HISTORY),
                    TestTokens.token(user)), "inbox of " + user);
            Counts after = Counts.of(expect(200, Http.get(node().http("inbox/" + user + "/counts"), TestTokens.token(user)),
                    "counts of " + user).json());
            List<JsonObject> entries = listed.jsonArray().stream().map(JsonValue::asJsonObject).toList();
            Counts recount = Counts.recount(entries);
            boolean pending = expiryPending(user);
            if (before.equals(after) && recount.equals(after)) {
                listings.put(user, entries);
                forgetExpired(what, user, entries);
                return after;
            }
            if (!pending || System.nanoTime() > deadline) {
                throw drift(what, user, "GET counts " + before + " then " + after + ", a recount of the "
                        + entries.size() + " entries listed says " + recount + (pending ? " (for " + DEADLINE + " while an expiry was due)" : "")
                        + "; entries " + entries);
            }
        }
    }

    /**
     * Waits until the socket's last counts frame is {@code counts} (reread while an expiry may change them); returns
     * the counts it matched.
     */
    private Counts awaitSocket(String what, Watched watched, Counts counts) {
        long start = System.nanoTime();
        try {
            return awaitCounts(what, watched, counts);
        } finally {
            socketNanos += System.nanoTime() - start;
        }
    }

    private Counts awaitCounts(String what, Watched watched, Counts counts) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        Counts expected = counts;
        Duration wait = Duration.ZERO;
        while (true) {
            if (!watched.drain(wait)) {
                reopen(watched);
            }
            if (expected.equals(watched.last)) {
                return expected;
            }
            if (System.nanoTime() > deadline) {
                throw drift(what, watched.user, watched + "'s last counts frame is " + watched.last + ", GET counts says "
                        + expected + " (waited " + DEADLINE + "); the last frames of " + sockets.get(watched.user).stream()
                        .map(each -> each + ": " + lastFrames(each)).toList() + "; expiring " + expiring.get(watched.user)
                        + "; listed " + listings.get(watched.user));
            }
            wait = Duration.ofMillis(20);
            if (expiryPending(watched.user)) {
                expected = restCounts(what, watched.user);
            }
        }
    }

    /** The socket's last frames, for a failure message: control frames whole, notifications by id. */
    private static List<String> lastFrames(Watched watched) {
        List<String> frames = watched.socket.received();
        return frames.subList(Math.max(0, frames.size() - 12), frames.size()).stream()
                .map(frame -> frame.contains("\"herald\"") ? frame : "notification " + JsonText.object(frame).getString("id", "?"))
                .toList();
    }

    private void reopen(Watched watched) {
        note(watched + " closed (" + watched.socket.closed().getNow(null) + "): reconnecting");
        reconnects++;
        watched.socket.close();
        watched.open();
    }

    /** An expiring notification of the user that may still leave (or, past its grace, must have left). */
    private boolean expiryPending(String user) {
        return !expiring.get(user).isEmpty();
    }

    private void forgetExpired(String what, String user, List<JsonObject> entries) {
        Map<String, Long> pending = expiring.get(user);
        if (pending.isEmpty()) {
            return;
        }
        List<String> listed = entries.stream().map(entry -> entry.getString("id")).toList();
        long now = System.currentTimeMillis();
        for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (!listed.contains(entry.getKey())) {
                it.remove();
                if (entry.getValue() <= now) {
                    expired++;
                }
            } else if (now > entry.getValue() + EXPIRY_GRACE.toMillis()) {
                throw drift(what, user, entry.getKey() + " expired " + (now - entry.getValue()) + " ms ago and is still listed");
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private HeraldNode node() {
        return random.nextBoolean() ? a : b;
    }

    private Reply expect(int status, Reply reply, String what) {
        if (reply.status() != status) {
            throw new AssertionError("step " + step + " (seed " + seed + ", -Dinbox.seed=" + seed + "): " + what
                    + " answered " + reply + "; recent steps " + recent);
        }
        return reply;
    }

    private void await(String what, BooleanSupplier condition) {
        if (!Await.within(Duration.ofSeconds(30), condition)) {
            throw new AssertionError("step " + step + " (seed " + seed + "): " + what + " did not happen within 30 s; recent steps "
                    + recent);
        }
    }

    private void note(String what) {
        recent.addLast(step + ": " + what);
        if (recent.size() > 12) {
            recent.removeFirst();
        }
    }

    private AssertionError drift(String what, String user, String detail) {
        return new AssertionError("inbox drift at step " + step + " (" + what + ") for " + user + ", seed " + seed
                + " (-Dinbox.seed=" + seed + "): " + detail + "; recent steps " + recent);
    }
}
