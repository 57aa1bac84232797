package dev.herald.testing.chaos;

import dev.herald.testing.chaos.Publisher.Attempt;
import dev.herald.testing.chaos.Publisher.Recipient;
import dev.herald.testing.chaos.ResilientSession.Frame;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Herald's promise, checked per recipient session: every notification answered 202 is received exactly once,
 * ids strictly increase, the notifications arrive in publish order, nothing arrives that was never posted (or
 * was refused with 503, or never reached a node), and an attempt whose outcome the publisher could not know
 * (ambiguous) arrives at most once. On a session that carries several streams, each is checked on its own
 * ({@link Subscription}): ids of different streams are unrelated.
 */
public final class Deliveries {

    private final String scenario;
    private long expected;
    private long delivered;
    private long lost;
    private long duplicated;
    private final List<String> violations = new ArrayList<>();
    /** Sessions whose own failures are in {@link #violations} already: a multi-stream session is checked once per stream. */
    private final Set<ResilientSession> reported = new HashSet<>();

    /** Where a recipient's notifications arrive: a session, and the stream's frame name on a multi-stream one (else null). */
    public record Subscription(ResilientSession session, String stream) {
        public String name() {
            return stream == null ? session.name() : session.name() + "[" + stream + "]";
        }
    }

    public Deliveries(String scenario) {
        this.scenario = scenario;
    }

    /** Acknowledged deliveries owed: acknowledged notifications × sessions of their recipient. */
    public long expected() {
        return expected;
    }

    /** Acknowledged notifications received at least once, summed over sessions. */
    public long delivered() {
        return delivered;
    }

    public long lost() {
        return lost;
    }

    /** Extra copies: of acknowledged notifications, and of ambiguous attempts beyond the one allowed. */
    public long duplicated() {
        return duplicated;
    }

    public List<String> violations() {
        return List.copyOf(violations);
    }

    /** Checks every session of one recipient against what was published to it. */
    public void check(Recipient recipient, List<ResilientSession> sessions) {
        checkSubscriptions(recipient, sessions.stream().map(session -> new Subscription(session, null)).toList());
    }

    /** Checks every subscription of one recipient against what was published to it. */
    public void checkSubscriptions(Recipient recipient, List<Subscription> subscriptions) {
        List<Attempt> acknowledged = recipient.acknowledged();
        Map<Long, Attempt> attempts = recipient.attempts();
        Map<String, Attempt> byId = new HashMap<>();
        for (int i = 0; i < acknowledged.size(); i++) {
            Attempt attempt = acknowledged.get(i);
            byId.put(attempt.id(), attempt);
            if (attempt.n() != i + 1) {
                violations.add(recipient.name() + ": acknowledged #" + (i + 1) + " carries n=" + attempt.n());
            }
            if (i > 0 && compareIds(acknowledged.get(i - 1).id(), attempt.id()) >= 0) {
                violations.add(recipient.name() + ": 202 ids not increasing in publish order: n=" + (i) + " got "
                        + acknowledged.get(i - 1).id() + ", n=" + (i + 1) + " got " + attempt.id());
            }
        }
        for (Subscription subscription : subscriptions) {
            checkSession(recipient, subscription, acknowledged, attempts, byId);
        }
    }

    private void checkSession(Recipient recipient, Subscription subscription, List<Attempt> acknowledged,
                              Map<Long, Attempt> attempts, Map<String, Attempt> byId) {
        ResilientSession session = subscription.session();
        String who = subscription.name();
        List<Frame> frames = session.frames(subscription.stream());
        if (reported.add(session)) {
            session.failures().forEach(failure -> violations.add(session.name() + ": " + failure));
        }
        Map<String, Integer> copiesById = new HashMap<>();
        Map<Long, Integer> copiesOfAmbiguous = new HashMap<>();
        List<Long> acknowledgedOrder = new ArrayList<>();
        Frame previous = null;
        for (Frame frame : frames) {
            if (previous != null && compareIds(previous.id(), frame.id()) >= 0) {
                violations.add(who + ": id " + frame.id() + " (n=" + frame.n() + ", connection " + frame.connection()
                        + ") after " + previous.id() + " (n=" + previous.n() + ", connection " + previous.connection() + ")");
            }
            previous = frame;
            Attempt attempt = scenario.equals(frame.scenario()) ? attempts.get(frame.attempt()) : null;
            if (attempt == null) {
                violations.add(who + ": received " + frame + ", which was never posted to " + recipient.name());
                continue;
            }
            if (attempt.n() != frame.n()) {
                violations.add(who + ": received " + frame + " but attempt " + attempt.attempt() + " posted n=" + attempt.n());
            }
            switch (attempt.outcome()) {
                case ACKNOWLEDGED -> {
                    if (!attempt.id().equals(frame.id())) {
                        violations.add(who + ": received attempt " + attempt.attempt() + " as " + frame.id()
                                + " but its 202 said " + attempt.id());
                    }
                    if (copiesById.merge(frame.id(), 1, Integer::sum) == 1) {
                        acknowledgedOrder.add(frame.n());
                    }
                }
                case AMBIGUOUS -> copiesOfAmbiguous.merge(attempt.attempt(), 1, Integer::sum);
                case REFUSED -> violations.add(who + ": received " + frame + " although its POST was answered 503 "
                        + "(\"nothing was stored or sent\") by " + attempt.node());
                case UNSENT -> violations.add(who + ": received " + frame + " although its POST never reached a node");
            }
        }
        List<Long> missing = new ArrayList<>();
        for (Attempt attempt : acknowledged) {
            int copies = copiesById.getOrDefault(attempt.id(), 0);
            expected++;
            if (copies == 0) {
                lost++;
                missing.add(attempt.n());
            } else {
                delivered++;
                duplicated += copies - 1;
                if (copies > 1) {
                    violations.add(who + ": received n=" + attempt.n() + " (" + attempt.id() + ") " + copies + " times");
                }
            }
        }
        if (!missing.isEmpty()) {
            violations.add(who + ": lost " + missing.size() + " acknowledged notification(s), n=" + abbreviate(missing)
                    + "; last id received " + (frames.isEmpty() ? null : frames.get(frames.size() - 1).id())
                    + "; closes " + session.closures()
                    + (session.connectFailures().isEmpty() ? "" : "; last failed connect "
                    + session.connectFailures().get(session.connectFailures().size() - 1)));
        }
        copiesOfAmbiguous.forEach((attempt, copies) -> {
            if (copies > 1) {
                duplicated += copies - 1;
                violations.add(who + ": received ambiguous attempt " + attempts.get(attempt) + " " + copies + " times");
            }
        });
        List<Long> published = acknowledged.stream().map(Attempt::n).toList();
        if (missing.isEmpty() && !acknowledgedOrder.equals(published)) {
            violations.add(who + ": order differs from publish order: " + abbreviate(acknowledgedOrder));
        }
    }

    /** Redis stream ids {@code <ms>-<seq>}, compared as numbers. */
    public static int compareIds(String left, String right) {
        long[] l = parse(left);
        long[] r = parse(right);
        int byMillis = Long.compare(l[0], r[0]);
        return byMillis != 0 ? byMillis : Long.compare(l[1], r[1]);
    }

    private static long[] parse(String id) {
        int dash = id.indexOf('-');
        return dash < 0
                ? new long[] {Long.parseLong(id), 0}
                : new long[] {Long.parseLong(id.substring(0, dash)), Long.parseLong(id.substring(dash + 1))};
    }

    private static String abbreviate(List<Long> values) {
        return values.size() <= 20 ? values.toString()
                : values.subList(0, 10) + "…(" + values.size() + " in all)…" + values.subList(values.size() - 5, values.size());
    }
}
