package dev.herald.testing.chaos;

import dev.herald.testing.HeraldNode;
import dev.herald.testing.Http;
import dev.herald.testing.TestTokens;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes numbered notifications {@code {"s": scenario, "n": k, "a": attempt, "pad": …}} to recipients
 * (users, or the broadcast stream), each recipient's strictly one after the other (so "publish order" is
 * defined: notification k+1 is posted only once k was acknowledged), recipients in parallel over a few lanes
 * (threads). Requests alternate between the nodes; a failed one is retried on the other node.
 * <p>
 * Every attempt ({@code a}, unique in a scenario) is classified:
 * <ul>
 *   <li>202: <b>acknowledged</b>, its id recorded. Herald promises it reaches every session exactly once.</li>
 *   <li>503: <b>refused</b>. README: "the broker is unreachable: nothing was stored or sent"; retried.</li>
 *   <li>connection refused: <b>unsent</b> (the node is down); retried on the other node.</li>
 *   <li>anything else (another status, an I/O error mid-request, a timeout): <b>ambiguous</b>. It may or may
 *   not have been stored, so it may be delivered, at most once. Payara Micro 6.2025.10 (payara/Payara#5432)
 *   now and then answers 500 or never answers a request when another connection is closed by the server:
 *   those land here and are counted apart.</li>
 * </ul>
 */
public final class Publisher {

    public enum Outcome { ACKNOWLEDGED, REFUSED, UNSENT, AMBIGUOUS }

    /** One POST of one notification. */
    public record Attempt(String recipient, long n, long attempt, Outcome outcome, String id, String detail, String node) {
    }

    /** A stream to publish to: {@code notify/<user>} or {@code notify} (broadcast), with its padding. */
    public static final class Recipient {
        private final String name;
        private final String route;
        private final String pad;
        private final List<Attempt> acknowledged = new CopyOnWriteArrayList<>();
        private final Map<Long, Attempt> attempts = new ConcurrentHashMap<>();
        private long next = 1;
        private int turn;

        public Recipient(String name, String route, int padChars) {
            this.name = name;
            this.route = route;
            this.pad = "x".repeat(padChars);
        }

        public String name() {
            return name;
        }

        /** Acknowledged attempts in publish order. */
        public List<Attempt> acknowledged() {
            return List.copyOf(acknowledged);
        }

        /** Every attempt by its number {@code a}. */
        public Map<Long, Attempt> attempts() {
            return Map.copyOf(attempts);
        }
    }

    /** One publishing thread: its recipients in turn, waiting {@code pause} after each acknowledged notification. */
    public record Lane(List<Recipient> recipients, Duration pause) {
        public Lane {
            recipients = List.copyOf(recipients);
        }
    }

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(8);
    private static final Duration GIVE_UP = Duration.ofSeconds(60);

    private final String scenario;
    private final List<HeraldNode> nodes;
    private final List<Lane> lanes;
    private final AtomicLong attemptNumbers = new AtomicLong();
    private final AtomicInteger acknowledged = new AtomicInteger();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;
    private volatile boolean idempotent;

    /** @param lanes one thread each (their pauses set the rate) */
    public Publisher(String scenario, List<HeraldNode> nodes, List<Lane> lanes) {
        this.scenario = scenario;
        this.nodes = List.copyOf(nodes);
        this.lanes = List.copyOf(lanes);
    }

    /**
     * Publishes as a careful publisher does: each notification carries an {@code Idempotency-Key} (scenario, recipient,
     * n) and every retry of it, after whatever outcome, posts the same body with the same key, so Herald stores it once
     * and a retry of a stored one answers its id. Its frames then name the notification's first attempt.
     */
    public Publisher withIdempotencyKeys() {
        idempotent = true;
        return this;
    }

    public void start() {
        for (int i = 0; i < lanes.size(); i++) {
            Lane lane = lanes.get(i);
            Thread thread = new Thread(() -> run(lane), scenario + "-publisher-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }

    /** Asks every lane to stop after the notification it is publishing (which is retried until acknowledged), and waits. */
    public void stop() {
        stopping = true;
        for (Thread thread : threads) {
            try {
                thread.join(GIVE_UP.toMillis() + REQUEST_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (thread.isAlive()) {
                failures.add(thread.getName() + " did not stop");
            }
        }
    }

    public int acknowledged() {
        return acknowledged.get();
    }

    /** Attempts by kind: {@code 202}, {@code 503}, {@code unsent}, {@code ambiguous:<why>}. */
    public Map<String, Integer> counts() {
        Map<String, Integer> copy = new LinkedHashMap<>();
        counts.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> copy.put(e.getKey(), e.getValue().get()));
        return copy;
    }

    public int count(String prefix) {
        return counts.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToInt(e -> e.getValue().get()).sum();
    }

    /** A notification that could not be acknowledged within a minute, or a lane that would not stop. */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    private void run(Lane lane) {
        Duration pause = lane.pause();
        while (!stopping) {
            for (Recipient recipient : lane.recipients()) {
                if (stopping) {
                    return;
                }
                if (!publishNext(recipient)) {
                    return;
                }
                if (!pause.isZero()) {
                    LockSupport.parkNanos(pause.toNanos());
                }
            }
        }
    }

    /** Posts the recipient's next notification until it is acknowledged; false if that took too long. */
    private boolean publishNext(Recipient recipient) {
        long n = recipient.next;
        Instant deadline = Instant.now().plus(GIVE_UP);
        int nodeIndex = recipient.turn++ % nodes.size();
        long first = attemptNumbers.incrementAndGet();
        while (true) {
            HeraldNode node = nodes.get(nodeIndex);
            if (!node.isAvailable()) {
                HeraldNode other = nodes.get((nodeIndex + 1) % nodes.size());
                if (other.isAvailable()) {
                    nodeIndex = (nodeIndex + 1) % nodes.size();
                    node = other;
                }
            }
            Attempt attempt = post(recipient, n, node, idempotent ? first : attemptNumbers.incrementAndGet());
            recipient.attempts.put(attempt.attempt(), attempt);
            if (attempt.outcome() == Outcome.ACKNOWLEDGED) {
                recipient.acknowledged.add(attempt);
                recipient.next++;
                acknowledged.incrementAndGet();
                return true;
            }
            if (Instant.now().isAfter(deadline)) {
                failures.add(recipient.name + " n=" + n + " not acknowledged within " + GIVE_UP + "; last attempt " + attempt);
                return false;
            }
            nodeIndex = (nodeIndex + 1) % nodes.size();
            long backoff = switch (attempt.outcome()) {
                case REFUSED -> 100 + ThreadLocalRandom.current().nextLong(100);
                case UNSENT -> 20;
                default -> 50;
            };
            LockSupport.parkNanos(Duration.ofMillis(backoff).toNanos());
        }
    }

    /**
     * One publisher token per publisher, so per scenario: tokens last 10 minutes and a scenario takes well under one.
     * Not one per run: the integration tests share a JVM, and on a busy machine the chaos classes together outlast a
     * token (every scenario after the tenth minute failed with 401 "the token has expired").
     */
    private final String token = TestTokens.publisher();

    private Attempt post(Recipient recipient, long n, HeraldNode node, long a) {
        String body = "{\"s\":\"" + scenario + "\",\"n\":" + n + ",\"a\":" + a + ",\"pad\":\"" + recipient.pad + "\"}";
        HttpRequest.Builder request = HttpRequest.newBuilder(node.http(recipient.route))
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (idempotent) {
            request.header("Idempotency-Key", scenario + "-" + recipient.name + "-" + n);
        }
        try {
            HttpResponse<String> response = Http.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
            int status = response.statusCode();
            if (status == 202) {
                String id = idOf(response.body());
                if (id == null) {
                    tally("ambiguous:202-without-id");
                    return new Attempt(recipient.name, n, a, Outcome.AMBIGUOUS, null, "202 " + abbreviate(response.body()), node.name());
                }
                tally("202");
                return new Attempt(recipient.name, n, a, Outcome.ACKNOWLEDGED, id, null, node.name());
            }
            if (status == 503) {
                tally("503");
                return new Attempt(recipient.name, n, a, Outcome.REFUSED, null, "503", node.name());
            }
            tally("ambiguous:http-" + status);
            return new Attempt(recipient.name, n, a, Outcome.AMBIGUOUS, null, "HTTP " + status + " " + abbreviate(response.body()), node.name());
        } catch (HttpConnectTimeoutException | ConnectException e) {
            tally("unsent");
            return new Attempt(recipient.name, n, a, Outcome.UNSENT, null, e.toString(), node.name());
        } catch (HttpTimeoutException e) {
            tally("ambiguous:timeout");
            return new Attempt(recipient.name, n, a, Outcome.AMBIGUOUS, null, e.toString(), node.name());
        } catch (IOException e) {
            if (e.getCause() instanceof ConnectException) {
                tally("unsent");
                return new Attempt(recipient.name, n, a, Outcome.UNSENT, null, e.toString(), node.name());
            }
            tally("ambiguous:io");
            return new Attempt(recipient.name, n, a, Outcome.AMBIGUOUS, null, e.toString(), node.name());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tally("ambiguous:interrupted");
            return new Attempt(recipient.name, n, a, Outcome.AMBIGUOUS, null, e.toString(), node.name());
        }
    }

    private void tally(String kind) {
        counts.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
    }

    private static String idOf(String body) {
        try (JsonReader reader = Json.createReader(new StringReader(body))) {
            JsonObject json = reader.readObject();
            return json.getString("id", null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String abbreviate(String text) {
        return text == null ? "" : text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }
}
