package dev.herald.testing.chaos;

import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.testing.Await;
import dev.herald.testing.HeraldNode;
import dev.herald.testing.Http;
import dev.herald.testing.TestTokens;
import dev.herald.testing.chaos.Deliveries.Subscription;
import dev.herald.testing.chaos.Publisher.Recipient;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * One chaos scenario on a set of Herald nodes: users with a session on each node, a broadcast session per node, and a
 * {@link Publisher} posting numbered notifications over a few lanes while the test injects a fault; {@link #finish()}
 * waits until every acknowledged notification arrived everywhere, checks the invariants ({@link Deliveries}) and
 * prints {@code <scenario>: published N, delivered N, lost 0, duplicated 0}.
 * <p>
 * {@link #withGroups} makes the scenario of issue 14 instead: sockets that each carry a user's stream, the broadcast
 * stream and the user's groups, and a publisher that also posts to the groups.
 */
public final class Scenario {

private static final int USERS = 20;
private static final int LANES = 4;
public static final int PAD = 200;
private static final Duration DELIVERY_DEADLINE = Duration.ofSeconds(30);
/** After everything arrived: a duplicate still on its way has this long to show up before the check. */
private static final Duration LATE_DUPLICATES = Duration.ofMillis(500);

    public final String name;
    final List<HeraldNode> nodes;
    final ScheduledExecutorService scheduler;
    public final List<Recipient> users = new ArrayList<>();
    public final List<Recipient> groups = new ArrayList<>();
    final Recipient broadcast;
    final Map<Recipient, List<Subscription>> sessionsByRecipient = new LinkedHashMap<>();
    public final Publisher publisher;
    final List<String> notes = new ArrayList<>();
    final Instant began = Instant.now();

    public Scenario(String name, List<HeraldNode> nodes, ScheduledExecutorService scheduler, Duration pause) {
        this(name, nodes, scheduler, pause, PAD);
    }

    /**
     * @param pause   how long each publishing lane waits after each acknowledged notification
     * @param firstPad the padding of user 0's notifications; when it is not {@link #PAD}, user 0 gets a
     *                lane of its own that publishes as fast as it can (the slow-client scenario's user)
     */
    public Scenario(String name, List<HeraldNode> nodes, ScheduledExecutorService scheduler, Duration pause, int firstPad) {
        this.name = name;
        this.nodes = List.copyOf(nodes);
        this.scheduler = scheduler;
        for (int i = 0; i < USERS; i++) {
            Recipient user = new Recipient(name + "-u" + i, "notify/" + name + "-u" + i, i == 0 ? firstPad : PAD);
            users.add(user);
            addSession(user, "A", 0);
            addSession(user, "B", 1);
        }
        broadcast = new Recipient(name + "-broadcast", "notify", PAD);
        String baseline = baselineBroadcast();
        for (int node = 0; node < nodes.size(); node++) {
            String sessionName = name + "-broadcast@" + nodes.get(node).name();
            subscribe(broadcast, new ResilientSession(sessionName, "ws/notifications", nodes, node, baseline, scheduler), null);
        }
        List<List<Recipient>> userLanes = new ArrayList<>();
        for (int lane = 0; lane < LANES; lane++) {
            userLanes.add(new ArrayList<>());
        }
        boolean ownLane = firstPad != PAD;
        for (int i = ownLane ? 1 : 0; i < users.size(); i++) {
            userLanes.get(i % LANES).add(users.get(i));
        }
        List<Publisher.Lane> lanes = new ArrayList<>();
        userLanes.forEach(lane -> lanes.add(new Publisher.Lane(lane, pause)));
        lanes.add(new Publisher.Lane(List.of(broadcast), pause.multipliedBy(3)));
        if (ownLane) {
            lanes.add(new Publisher.Lane(List.of(users.get(0)), Duration.ZERO));
        }
        publisher = new Publisher(name, nodes, lanes);
    }

    /**
     * Issue 14's scenario: each user of {@code groupsByUser} has one session on each of the first two nodes, each on one
     * socket carrying the user's stream, the broadcast stream and the user's groups ({@link ResilientSession#multiStream});
     * the publisher posts to every user (over two lanes), every group and the broadcast stream (a lane each). The
     * sessions' first connections have no {@code since}: {@link #start()} publishes once the server opened them all.
     *
     * @param groupsByUser user id → the groups the user's token grants and its sockets ask for
     */
    public static Scenario withGroups(String name, List<HeraldNode> nodes, ScheduledExecutorService scheduler, Duration pause,
                                      Map<String, List<String>> groupsByUser) {
        return new Scenario(name, nodes, scheduler, pause, groupsByUser);
    }

    private Scenario(String name, List<HeraldNode> nodes, ScheduledExecutorService scheduler, Duration pause,
                     Map<String, List<String>> groupsByUser) {
        this.name = name;
        this.nodes = List.copyOf(nodes);
        this.scheduler = scheduler;
        broadcast = new Recipient(name + "-broadcast", "notify", PAD);
        Map<String, Recipient> groupRecipients = new LinkedHashMap<>();
        groupsByUser.values().stream().flatMap(List::stream).distinct().forEach(group ->
                groupRecipients.put(group, new Recipient("group:" + group, "notify/group/" + group, PAD)));
        groups.addAll(groupRecipients.values());
        for (Map.Entry<String, List<String>> entry : groupsByUser.entrySet()) {
            String userId = entry.getKey();
            Recipient user = new Recipient(userId, "notify/" + userId, PAD);
            users.add(user);
            for (int node = 0; node < 2; node++) {
                ResilientSession session = ResilientSession.multiStream(userId + "@" + "AB".charAt(node), userId,
                        entry.getValue(), nodes, node, scheduler);
                subscribe(user, session, "user");
                entry.getValue().forEach(group -> subscribe(groupRecipients.get(group), session, "group:" + group));
                subscribe(broadcast, session, "broadcast");
            }
        }
        List<Publisher.Lane> lanes = new ArrayList<>();
        lanes.add(new Publisher.Lane(users.subList(0, users.size() / 2), pause));
        lanes.add(new Publisher.Lane(users.subList(users.size() / 2, users.size()), pause));
        groups.forEach(group -> lanes.add(new Publisher.Lane(List.of(group), pause)));
        lanes.add(new Publisher.Lane(List.of(broadcast), pause));
        publisher = new Publisher(name, nodes, lanes);
    }

    private void subscribe(Recipient recipient, ResilientSession session, String stream) {
        sessionsByRecipient.computeIfAbsent(recipient, r -> new ArrayList<>()).add(new Subscription(session, stream));
    }

    public ResilientSession addSession(Recipient user, String label, int firstNode) {
        ResilientSession session = new ResilientSession(user.name() + "@" + label,
                "ws/notifications/" + user.name(), nodes, firstNode, "0", scheduler);
        subscribe(user, session, null);
        return session;
    }

    /** The broadcast stream's newest id: broadcast sessions resume from it, so earlier scenarios do not count. */
    private String baselineBroadcast() {
        String body = "{\"s\":\"" + name + "-baseline\"}";
        for (int attempt = 0; attempt < 10; attempt++) {
            try {
                Http.Reply reply = Http.post(nodes.get(0).http("notify"), TestTokens.publisher(), body);
                if (reply.status() == 202) {
                    return reply.json().getString("id");
                }
            } catch (UncheckedIOException e) {
                // retried
            }
            LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
        }
        throw new AssertionError(name + ": could not post the baseline broadcast");
    }

    public List<ResilientSession> sessions() {
        return sessionsByRecipient.values().stream().flatMap(List::stream).map(Subscription::session).distinct().toList();
    }

    public void note(String note) {
        notes.add(note);
    }

    /** Connects every session, waits until each is open (a multi-stream one: opened by the server), then starts publishing. */
    public void start() {
        sessions().forEach(ResilientSession::start);
        Await.until(name + ": every session connected", Duration.ofSeconds(30), () -> sessions().stream().allMatch(session ->
                session.streams().isEmpty() ? session.connections() > 0 : session.isLive()));
        publisher.start();
    }

    public void awaitAcknowledged(int count) {
        Await.until(name + ": " + count + " notifications acknowledged (now " + publisher.acknowledged() + ", "
                + publisher.counts() + ")", Duration.ofSeconds(90), () -> publisher.acknowledged() >= count
                || !publisher.failures().isEmpty());
        if (!publisher.failures().isEmpty()) {
            publisher.stop();
            sessions().forEach(ResilientSession::stop);
            fail(name + ": the publisher gave up: " + publisher.failures());
        }
    }

    /** Stops publishing, waits for every acknowledged notification to arrive everywhere, checks, prints. */
    public void finish() {
        publisher.stop();
        Instant published = Instant.now();
        Map<Recipient, java.util.Set<String>> wanted = new LinkedHashMap<>();
        sessionsByRecipient.keySet().forEach(recipient -> wanted.put(recipient,
                recipient.acknowledged().stream().map(Publisher.Attempt::id).collect(Collectors.toSet())));
        BooleanSupplier complete = () -> sessionsByRecipient.entrySet().stream().allMatch(entry -> entry.getValue().stream()
                .allMatch(subscription -> subscription.session().hasAll(subscription.stream(), wanted.get(entry.getKey()))));
        boolean allArrived = Await.within(DELIVERY_DEADLINE, complete);
        LockSupport.parkNanos(LATE_DUPLICATES.toNanos()); // a window to observe, as TestSocket.assertNothingWithin
        sessions().forEach(ResilientSession::stop);

        Deliveries deliveries = new Deliveries(name);
        sessionsByRecipient.forEach(deliveries::checkSubscriptions);
        int ambiguous = publisher.count("ambiguous");
        String line = name + ": published " + deliveries.expected() + ", delivered " + deliveries.delivered()
                + ", lost " + deliveries.lost() + ", duplicated " + deliveries.duplicated()
                + (ambiguous > 0 ? ", ambiguous " + ambiguous + " " + ambiguousDetail() : "");
        System.out.println(line);
        long reconnects = sessions().stream().mapToInt(ResilientSession::connections).sum() - sessions().size();
        System.err.println("  [" + name + "] " + Duration.between(began, Instant.now()).toMillis() + " ms; attempts "
                + publisher.counts() + "; reconnects " + reconnects + "; closes " + closeCodes()
                + "; all arrived " + Duration.between(published, Instant.now()).minus(LATE_DUPLICATES).toMillis()
                + " ms after publishing stopped; max lag " + sessions().stream().flatMap(session -> session.frames().stream())
                .mapToLong(ResilientSession.Frame::lagMillis).max().orElse(0) + " ms" + (notes.isEmpty() ? "" : "; " + String.join("; ", notes)));
        List<String> violations = new ArrayList<>(deliveries.violations());
        violations.addAll(publisher.failures());
        if (!allArrived && violations.isEmpty()) {
            violations.add("not every acknowledged notification arrived within " + DELIVERY_DEADLINE);
        }
        if (!violations.isEmpty()) {
            fail(line + "\n" + violations.size() + " violation(s):\n  " + violations.stream().limit(40)
                    .collect(Collectors.joining("\n  ")) + "\nsessions: " + sessions().stream()
                    .map(session -> session.name() + " closes " + session.closures())
                    .filter(text -> !text.endsWith("closes []")).limit(40).collect(Collectors.joining("\n  ")));
        }
    }

    private String ambiguousDetail() {
        return publisher.counts().entrySet().stream().filter(e -> e.getKey().startsWith("ambiguous:"))
                .map(e -> e.getKey().substring("ambiguous:".length()) + " " + e.getValue())
                .collect(Collectors.joining(", ", "(", ")"));
    }

    private Map<Integer, Long> closeCodes() {
        return sessions().stream().flatMap(session -> session.closures().stream())
                .collect(Collectors.groupingBy(ResilientSession.Closure::code, java.util.TreeMap::new, Collectors.counting()));
    }
}
