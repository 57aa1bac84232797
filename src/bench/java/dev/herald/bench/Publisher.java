package dev.herald.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.HdrHistogram.Recorder;

/**
 * Publishers: java.net.http over HTTP/1.1 keep-alive. Each of C threads sends one request at a time, so the
 * client's pool holds C connections that are reused for every request. Every body carries the time it was
 * (meant to be) sent, {@code {"t": <System.nanoTime()>, "n": <k>, "r": "<run tag>"}}: the receivers in this
 * same JVM subtract it from their own nanoTime.
 */
final class Publisher implements AutoCloseable {

    /** What one message is: where it goes and its body, given its send time stamp. */
    interface Message {
        String path(int k);

        String body(int k, long t);

        /** Message k goes to {@code path(k)}; its body is the run's stamp (see {@link Scenarios#body}). */
        static Message stamped(IntFunction<String> path, String tag, String padding) {
            return new Message() {
                @Override
                public String path(int k) {
                    return path.apply(k);
                }

                @Override
                public String body(int k, long t) {
                    return Scenarios.body(k, t, tag, padding);
                }
            };
        }
    }

    /** The outcome of a loop: the HTTP status of every message (0: not sent, -1: failed), and timings. */
    static final class Outcome {
        final AtomicIntegerArray status;
        final String[] ids;
        final AtomicLong accepted = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final Recorder sendLag = new Recorder(3);
        volatile long firstSend;
        volatile long lastAnswer;
        volatile boolean timedOut;
        final AtomicInteger sent = new AtomicInteger();
        volatile String firstError;

        Outcome(int messages, boolean keepIds) {
            status = new AtomicIntegerArray(messages);
            ids = keepIds ? new String[messages] : null;
        }

        boolean ok(int k) {
            return accepted(status.get(k));
        }
    }

    /** 202 from Herald; the reference peer answers 200. */
    static boolean accepted(int status) {
        return status / 100 == 2;
    }

    private final OwnHttpClient http = new OwnHttpClient("http-client", Duration.ofSeconds(10));
    private final HttpClient client = http.client();
    private final String base;
    private final Map<String, String> headers;

    Publisher(String base, TokenSource tokens) {
        this.base = base;
        this.headers = tokens.publishHeaders();
    }

    /** One POST; returns {status, id or error}. */
    String[] post(String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        try {
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            String text = response.body();
            String id = null;
            int at = Ws.valueAt(text, "id");
            if (at >= 0) {
                id = Ws.stringAt(text, at);
            }
            return new String[] {String.valueOf(response.statusCode()), accepted(response.statusCode()) ? id : text};
        } catch (IOException e) {
            return new String[] {"-1", String.valueOf(e)};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new String[] {"-1", "interrupted"};
        }
    }

    /**
     * Closed loop at full speed: {@code threads} publishers take the next message as soon as their previous
     * request is answered. The body is stamped just before it is sent.
     */
    Outcome closedLoop(int messages, int threads, Message message, long deadlineNanos, boolean keepIds) {
        Outcome outcome = new Outcome(messages, keepIds);
        AtomicInteger next = new AtomicInteger();
        runThreads(threads, "publisher", () -> {
            for (int k; (k = next.getAndIncrement()) < messages; ) {
                if (System.nanoTime() > deadlineNanos) {
                    outcome.timedOut = true;
                    return;
                }
                long t = System.nanoTime();
                send(outcome, k, message.path(k), message.body(k, t), t);
            }
        });
        return outcome;
    }

    /**
     * Open loop: message k is due at start + k / rate whatever happened to earlier ones; it is stamped with
     * that intended time, so a late send (all publishers busy because the server is slow) counts in the
     * latency instead of being hidden (no coordinated omission). {@code threads} bounds the requests in flight.
     */
    Outcome openLoop(int messages, double perSecond, int threads, Message message, long startNanos, long deadlineNanos,
                     boolean keepIds) {
        Outcome outcome = new Outcome(messages, keepIds);
        AtomicInteger next = new AtomicInteger();
        double period = 1e9 / perSecond;
        runThreads(threads, "open-loop", () -> {
            for (int k; (k = next.getAndIncrement()) < messages; ) {
                long intended = startNanos + (long) (k * period);
                for (long wait; (wait = intended - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(wait);
                }
                long now = System.nanoTime();
                if (now > deadlineNanos) {
                    outcome.timedOut = true;
                    return;
                }
                outcome.sendLag.recordValue(Math.max(0, (now - intended) / 1000));
                send(outcome, k, message.path(k), message.body(k, intended), now);
            }
        });
        return outcome;
    }

    private void send(Outcome outcome, int k, String path, String body, long now) {
        if (outcome.sent.getAndIncrement() == 0) {
            outcome.firstSend = now;
        }
        String[] answer = post(path, body);
        int status = Integer.parseInt(answer[0]);
        outcome.status.set(k, status);
        if (accepted(status)) {
            outcome.accepted.incrementAndGet();
            if (outcome.ids != null) {
                outcome.ids[k] = answer[1];
            }
        } else {
            outcome.failed.incrementAndGet();
            if (outcome.firstError == null) {
                outcome.firstError = status + " " + answer[1];
            }
        }
        outcome.lastAnswer = System.nanoTime();
    }

    private static void runThreads(int count, String name, Runnable body) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Thread t = new Thread(body, name + "-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
