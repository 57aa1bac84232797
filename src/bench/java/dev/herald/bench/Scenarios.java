package dev.herald.bench;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/** The scenarios of issue 7 (and issue 4's slow clients); each returns its JSON line(s) as maps. */
final class Scenarios {

    private final BenchConfig config;
    private final Target target;
    private final Ws.Client client;
    private final Publisher publisher;
    private final TokenSource tokens;
    /** Bounds every load loop and connect phase. */
    final long maxNanos;

    Scenarios(BenchConfig config, Target target, Ws.Client client, Publisher publisher, TokenSource tokens) {
        this.config = config;
        this.target = target;
        this.client = client;
        this.publisher = publisher;
        this.tokens = tokens;
        this.maxNanos = config.maxLoop().toNanos();
    }

    /** The parts one run of a scenario has: one per socket count for broadcast, one (0) for the others. */
    List<Integer> parts(String name) {
        return name.equals("broadcast") ? config.broadcast().sockets() : List.of(0);
    }

    /** One part of one run of a scenario: its JSON line, with the target's role and server and the CPU per item. */
    Map<String, Object> run(String name, int run, int part) {
        Map<String, Object> line = guarded(name, run, () -> switch (name) {
            case "unicast" -> unicast(config.unicast(), "unicast");
            case "batch" -> batch(config.batch());
            case "latency" -> latency();
            case "broadcast" -> broadcast(part);
            case "idle" -> idle();
            case "resume" -> resume();
            case "slow" -> new SlowClients(config, this, target, publisher).run();
            default -> throw new IllegalArgumentException(name);
        });
        perItem(line);
        return line;
    }

    /**
     * Server CPU per published notification and per delivered frame, in microseconds (from server_cpu_s, which
     * /proc gives for the server JVM or the peer's node process), where the line has both.
     */
    static void perItem(Map<String, Object> line) {
        if (line.get("server_cpu_s") instanceof Double cpu && !cpu.isNaN()) {
            if (line.get("published") instanceof Number published && published.longValue() > 0) {
                line.put("server_cpu_us_per_notification", cpu * 1e6 / published.doubleValue());
            }
            if (line.get("delivered") instanceof Number delivered && delivered.longValue() > 0) {
                line.put("server_cpu_us_per_frame", cpu * 1e6 / delivered.doubleValue());
            }
        }
    }

    private interface Body {
        Map<String, Object> run() throws Exception;
    }

    /** Common fields around a scenario; a scenario that throws still yields a line (with "error"). */
    private Map<String, Object> guarded(String name, int run, Body body) {
        Bench.waitForQuiet(config);
        double leftover = target.awaitSessionsAtMost(0, Duration.ofSeconds(60));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scenario", name);
        m.put("target", target.role);
        m.put("server", target.server);
        m.put("run", run);
        m.put("started", Instant.now().toString());
        m.put("client", client.name());
        m.put("load_start", Proc.loadavg());
        Bench.log("scenario " + name + " (run " + run + ") on " + target.role + " (" + target.server + "), load " + Proc.loadavg()
                + (leftover > 0 ? ", " + leftover + " sessions still open on the server" : ""));
        long start = System.nanoTime();
        try {
            m.putAll(body.run());
        } catch (Exception | AssertionError e) {
            Bench.log("scenario " + name + " failed: " + e);
            e.printStackTrace();
            m.put("ok", false);
            m.put("error", String.valueOf(e));
        }
        m.put("scenario_s", (System.nanoTime() - start) / 1e9);
        m.put("load_end", Proc.loadavg());
        return m;
    }

    // ---------------------------------------------------------------- connecting

    /** Opened sockets and how the opening went. */
    record Opened(List<Ws.Conn> conns, int failed, String firstError, double seconds) {
        double rate() {
            return conns.size() / seconds;
        }

        void closeAll() {
            conns.forEach(Ws.Conn::close);
        }
    }

    /** Opens {@code count} sockets, at most {@code inFlight} handshakes at a time, each ready (Ping answered). */
    Opened open(Ws.Client using, int count, IntFunction<URI> uri, IntFunction<String> user, IntFunction<InetAddress> local,
                IntFunction<Tally.Rx> handler, int inFlight) {
        Semaphore permits = new Semaphore(inFlight);
        List<Ws.Conn> conns = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> firstError = new AtomicReference<>();
        long start = System.nanoTime();
        long deadline = start + maxNanos;
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            try {
                if (!permits.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    failed.addAndGet(count - i);
                    firstError.compareAndSet(null, "connect phase timed out");
                    break;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            Tally.Rx rx = handler.apply(i);
            String u = user.apply(i);
            URI target = Ws.withQuery(uri.apply(i), tokens.socketQuery(u));
            CompletableFuture<Ws.Conn> f;
            try {
                f = using.connect(target, tokens.socketHeaders(u), local.apply(i), rx);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            all.add(f.orTimeout(30, TimeUnit.SECONDS).whenComplete((conn, error) -> {
                permits.release();
                if (error != null) {
                    failed.incrementAndGet();
                    firstError.compareAndSet(null, String.valueOf(error));
                } else {
                    rx.conn = conn;
                    conns.add(conn);
                }
            }));
        }
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // counted per socket
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (failed.get() > 0) {
            Bench.log(failed.get() + " of " + count + " sockets failed to open; first: " + firstError.get());
        }
        return new Opened(new ArrayList<>(conns), failed.get(), firstError.get(), seconds);
    }

    Opened openUsers(int count, String prefix, IntFunction<Tally.Rx> handler) {
        return open(client, count, i -> target.ws("/ws/notifications/" + prefix + i), i -> prefix + i, i -> null, handler, 200);
    }

    /** Closes sockets and waits (bounded) until the server has let them go. */
    void closeAndSettle(Opened opened) {
        opened.closeAll();
        target.awaitSessionsAtMost(0, Duration.ofSeconds(60));
    }

    /** Waits until {@code delivered >= expected}, for at most 60 s, or 10 s without progress. */
    static void drain(AtomicLong delivered, long expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long last = delivered.get();
        long lastProgress = System.nanoTime();
        while (delivered.get() < expected && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            long now = delivered.get();
            if (now != last) {
                last = now;
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(10)) {
                Bench.log("no delivery for 10 s: " + now + " of " + expected);
                return;
            }
        }
    }

    /** A run's tag: frames of other runs (or scenarios) on the same server count as foreign. */
    static String tag() {
        return Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 45), 36);
    }

    static void sleep(Duration d) {
        LockSupport.parkNanos(d.toNanos());
    }

    static String body(int k, long t, String tag, String padding) {
        return "{\"t\":" + t + ",\"n\":" + k + ",\"r\":\"" + tag + "\"" + (padding.isEmpty() ? "" : ",\"p\":\"" + padding + "\"") + "}";
    }

    Proc.Snapshot snapshot() {
        return Proc.Snapshot.take(target.pid(), target.redisPid());
    }

    Map<String, Object> cpu(Proc.Snapshot start) {
        return snapshot().since(start);
    }

    // ---------------------------------------------------------------- unicast

    /** U users connected, M notifications round-robin over them, C publishers at full speed. */
    Map<String, Object> unicast(BenchConfig.Unicast size, String label) {
        int users = size.users();
        int messages = size.messages();
        int publishers = size.publishers();
        String tag = tag();
        Tally tally = new Tally(tag);
        Opened opened = openUsers(users, "u", i -> tally.receiver(i, n -> n % users == i, true));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("users", users);
        m.put("messages", messages);
        m.put("publishers", publishers);
        m.put("connect_failed", opened.failed());
        try {
            Proc.Snapshot s0 = snapshot();
            Publisher.Outcome out = publisher.closedLoop(messages, publishers,
                    Publisher.Message.stamped(k -> "/notify/u" + (k % users), tag, ""), System.nanoTime() + maxNanos, false);
            drain(tally.delivered, out.accepted.get());
            Map<String, Object> cpu = cpu(s0);
            double publishSeconds = (out.lastAnswer - out.firstSend) / 1e9;
            m.put("published", out.accepted.get());
            m.put("publish_failed", out.failed.get());
            m.put("publish_s", publishSeconds);
            m.put("publish_per_s", out.accepted.get() / publishSeconds);
            m.putAll(tally.accounting(out.accepted.get(), out::ok, i -> true));
            m.put("delivered_per_s", tally.delivered.get() / ((tally.lastArrival.get() - out.firstSend) / 1e9));
            Tally.percentiles(m, "", tally.latency.getIntervalHistogram());
            m.putAll(cpu);
            m.put("ok", (double) m.get("ratio") == 1.0 && tally.duplicates.get() == 0 && tally.misrouted.get() == 0
                    && opened.failed() == 0);
            if (out.firstError != null) {
                m.put("first_publish_error", out.firstError);
            }
            if (label.equals("warmup")) {
                Bench.log("warm-up of " + target.role + ": " + Results.json(m));
            }
            return m;
        } finally {
            closeAndSettle(opened);
        }
    }

    // ---------------------------------------------------------------- batch

    /**
     * U users connected, M notifications round-robin over them in POST /notify-batch requests of B items,
     * C publishers at full speed. Item n goes to user n % U; it counts as accepted when its request was
     * answered 202 (every item accepted).
     */
    Map<String, Object> batch(BenchConfig.Batch sizes) {
        int users = sizes.users();
        int messages = sizes.messages();
        int size = sizes.size();
        int publishers = sizes.publishers();
        String tag = tag();
        Tally tally = new Tally(tag);
        Opened opened = openUsers(users, "b", i -> tally.receiver(i, n -> n % users == i, true));
        int requests = messages / size;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("users", users);
        m.put("messages", requests * size);
        m.put("batch_size", size);
        m.put("publishers", publishers);
        m.put("connect_failed", opened.failed());
        try {
            Proc.Snapshot s0 = snapshot();
            Publisher.Outcome out = publisher.closedLoop(requests, publishers, new Publisher.Message() {
                public String path(int k) {
                    return "/notify-batch";
                }

                public String body(int k, long t) {
                    StringBuilder body = new StringBuilder(size * 96).append('[');
                    for (int n = k * size; n < (k + 1) * size; n++) {
                        body.append(n == k * size ? "" : ",").append("{\"userId\":\"b").append(n % users)
                                .append("\",\"notification\":").append(Scenarios.body(n, t, tag, "")).append('}');
                    }
                    return body.append(']').toString();
                }
            }, System.nanoTime() + maxNanos, false);
            long accepted = out.accepted.get() * size;
            drain(tally.delivered, accepted);
            Map<String, Object> cpu = cpu(s0);
            double publishSeconds = (out.lastAnswer - out.firstSend) / 1e9;
            m.put("published", accepted);
            m.put("publish_failed_requests", out.failed.get());
            m.put("publish_s", publishSeconds);
            m.put("publish_per_s", accepted / publishSeconds);
            m.putAll(tally.accounting(accepted, n -> out.ok(n / size), i -> true));
            m.put("delivered_per_s", tally.delivered.get() / ((tally.lastArrival.get() - out.firstSend) / 1e9));
            Tally.percentiles(m, "", tally.latency.getIntervalHistogram());
            m.putAll(cpu);
            m.put("ok", (double) m.get("ratio") == 1.0 && tally.duplicates.get() == 0 && tally.misrouted.get() == 0
                    && opened.failed() == 0 && out.failed.get() == 0);
            if (out.firstError != null) {
                m.put("first_publish_error", out.firstError);
            }
            return m;
        } finally {
            closeAndSettle(opened);
        }
    }

    // ---------------------------------------------------------------- latency

    /** 1,000 users, 500/s for 20 s, open loop: latency from the intended send time. */
    Map<String, Object> latency() {
        int users = config.latency().users();
        double rate = config.latency().rate();
        double seconds = config.latency().seconds();
        int threads = config.latency().publishers();
        String tag = tag();
        Tally tally = new Tally(tag);
        Opened opened = openUsers(users, "l", i -> tally.receiver(i, n -> n % users == i, true));
        int messages = (int) Math.round(rate * seconds);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("users", users);
        m.put("rate", rate);
        m.put("seconds", seconds);
        m.put("connect_failed", opened.failed());
        try {
            Proc.Snapshot s0 = snapshot();
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
            Publisher.Outcome out = publisher.openLoop(messages, rate, threads,
                    Publisher.Message.stamped(k -> "/notify/l" + (k % users), tag, ""), start, start + maxNanos, false);
            drain(tally.delivered, out.accepted.get());
            m.putAll(cpu(s0));
            m.put("published", out.accepted.get());
            m.put("publish_failed", out.failed.get());
            m.putAll(tally.accounting(out.accepted.get(), out::ok, i -> true));
            Tally.percentiles(m, "", tally.latency.getIntervalHistogram());
            Histogram lag = out.sendLag.getIntervalHistogram();
            m.put("send_lag_p99_ms", lag.getValueAtPercentile(99) / 1000.0);
            m.put("send_lag_max_ms", lag.getMaxValue() / 1000.0);
            m.put("ok", (double) m.get("ratio") == 1.0 && tally.duplicates.get() == 0 && opened.failed() == 0);
            return m;
        } finally {
            closeAndSettle(opened);
        }
    }

    // ---------------------------------------------------------------- broadcast

    /** N sockets on /ws/notifications, 10 notifications/s for 10 s. */
    Map<String, Object> broadcast(int sockets) {
        double rate = config.broadcast().rate();
        double seconds = config.broadcast().seconds();
        int messages = (int) Math.round(rate * seconds);
        String tag = tag();
        Tally tally = new Tally(tag);
        Opened opened = open(client, sockets, i -> target.ws("/ws/notifications"), i -> null, i -> null,
                i -> tally.receiver(i, n -> true, true), 200);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sockets", sockets);
        m.put("rate", rate);
        m.put("seconds", seconds);
        m.put("connected", opened.conns().size());
        m.put("connect_failed", opened.failed());
        m.put("connect_per_s", opened.rate());
        try {
            Proc.Snapshot s0 = snapshot();
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
            Publisher.Outcome out = publisher.openLoop(messages, rate, 4,
                    Publisher.Message.stamped(k -> "/notify", tag, ""), start, start + maxNanos, false);
            long expected = out.accepted.get() * opened.conns().size();
            drain(tally.delivered, expected);
            m.putAll(cpu(s0));
            m.put("published", out.accepted.get());
            m.put("publish_failed", out.failed.get());
            m.putAll(tally.accounting(expected, out::ok, i -> true));
            m.put("deliveries_per_s", tally.delivered.get() / ((tally.lastArrival.get() - out.firstSend) / 1e9));
            Tally.percentiles(m, "", tally.latency.getIntervalHistogram());
            m.put("ok", (double) m.get("ratio") == 1.0 && tally.duplicates.get() == 0 && opened.failed() == 0);
            return m;
        } finally {
            closeAndSettle(opened);
        }
    }

    // ---------------------------------------------------------------- idle capacity

    /** Opens idle user sockets in steps (several 127.0.0.x source addresses) and measures the server at each. */
    Map<String, Object> idle() throws UnknownHostException {
        List<Integer> steps = config.idle().steps();
        int sources = config.idle().sources();
        double cpuSeconds = config.idle().cpuSeconds();
        InetAddress[] local = new InetAddress[sources];
        for (int i = 0; i < sources; i++) {
            local[i] = InetAddress.getByName("127.0.0." + (1 + i));
        }
        long pid = target.pid();
        if (!steps.contains(config.idle().heapAt())) {
            Bench.log("idle.steps " + steps + " has no step of idle.heapAt=" + config.idle().heapAt() + ": heap_per_socket_kb stays empty");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sources", sources);
        m.put("server_rss_base_kb", Proc.rssKb(pid));
        long rss0 = Proc.rssKb(pid);
        long heap0 = target.heapUsedAfterGcKb();
        m.put("server_heap_base_kb", heap0);
        List<Map<String, Object>> stepLines = new ArrayList<>();
        List<Ws.Conn> held = new ArrayList<>();
        Tally tally = new Tally(tag());
        boolean liveOk = true;
        int failedTotal = 0;
        String firstError = null;
        Proc.Snapshot whole = snapshot();
        // only the NIO client binds source addresses; with one source the configured client holds the sockets
        try (NioWsClient nio = sources > 1 ? new NioWsClient(config.nioThreads()) : null) {
            Ws.Client holder = nio != null ? nio : client;
            m.put("client", holder.name()); // replaces the configured client's name in the line
            for (int step : steps) {
                int from = held.size();
                int need = step - from;
                if (need <= 0) {
                    continue;
                }
                Proc.Snapshot c0 = snapshot();
                Opened opened = open(holder, need, i -> target.ws("/ws/notifications/i" + (from + i)), i -> "i" + (from + i),
                        i -> nio == null ? null : local[(from + i) % sources], i -> tally.receiver(from + i, n -> true, false), 256);
                Map<String, Object> connectCpu = cpu(c0);
                held.addAll(opened.conns());
                failedTotal += opened.failed();
                if (firstError == null) {
                    firstError = opened.firstError();
                }
                sleep(Duration.ofSeconds(2));
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("target", step);
                s.put("held", held.size());
                s.put("connect_failed", opened.failed());
                s.put("connect_s", opened.seconds());
                s.put("connect_per_s", opened.rate());
                s.put("connect_server_cpu_s", connectCpu.get("server_cpu_s"));
                s.put("connect_gen_cpu_s", connectCpu.get("gen_cpu_s"));
                s.put("server_sessions", target.sessions());
                long rss = Proc.rssKb(pid);
                s.put("server_rss_kb", rss);
                s.put("server_rss_per_socket_kb", held.isEmpty() ? Double.NaN : (double) (rss - rss0) / held.size());
                long heap = target.heapUsedAfterGcKb();
                s.put("server_heap_after_gc_kb", heap);
                s.put("server_heap_per_socket_kb", heap < 0 || heap0 < 0 || held.isEmpty() ? Double.NaN : (double) (heap - heap0) / held.size());
                s.put("server_fds", Proc.openFiles(pid));
                s.put("server_threads", Proc.threads(pid));
                s.put("gen_fds", Proc.openFiles(ProcessHandle.current().pid()));
                s.put("gen_heap_after_gc_kb", Proc.ownHeapAfterGcKb()); // what the client library holds per socket
                Proc.Snapshot i0 = snapshot();
                sleep(Duration.ofMillis((long) (cpuSeconds * 1000)));
                Map<String, Object> idleCpu = cpu(i0);
                s.put("idle_server_cpu_pct", 100 * (double) idleCpu.get("server_cores"));
                s.put("idle_gen_cpu_pct", 100 * (double) idleCpu.get("gen_cores"));
                long t0 = System.nanoTime();
                String[] live = target.live();
                s.put("live_status", Integer.parseInt(live[0]));
                s.put("live_ms", (System.nanoTime() - t0) / 1e6);
                liveOk &= live[0].equals("200");
                s.put("frames_received", tally.flood.get() + tally.foreign.get());
                s.put("closed_by_server", held.stream().filter(c -> c.closed().isDone()).count());
                stepLines.add(s);
                Bench.log("idle step " + Results.json(s));
                if (opened.failed() > 0) {
                    break;
                }
            }
            Map<String, Object> last = stepLines.isEmpty() ? Map.of() : stepLines.get(stepLines.size() - 1);
            m.put("max_held", held.size());
            m.put("connect_failed", failedTotal);
            if (firstError != null) {
                m.put("first_connect_error", firstError);
            }
            m.put("server_rss_kb", last.get("server_rss_kb"));
            m.put("server_rss_per_socket_kb", last.get("server_rss_per_socket_kb"));
            m.put("server_heap_per_socket_kb", last.get("server_heap_per_socket_kb"));
            // issue 17's figure: heap per idle socket after a full GC at idle.heapAt (10,000) sockets
            int heapAt = config.idle().heapAt();
            Map<String, Object> at = stepLines.stream().filter(s -> ((Number) s.get("target")).intValue() == heapAt
                    && ((Number) s.get("held")).intValue() == heapAt).findFirst().orElse(Map.of());
            m.put("heap_at_sockets", heapAt);
            m.put("heap_per_socket_kb", at.getOrDefault("server_heap_per_socket_kb", Double.NaN));
            m.put("idle_server_cpu_pct", last.get("idle_server_cpu_pct"));
            m.put("idle_gen_cpu_pct", last.get("idle_gen_cpu_pct"));
            m.put("connect_per_s", stepLines.stream().mapToDouble(s -> (double) s.get("connect_per_s")).average().orElse(Double.NaN));
            m.put("live_ok", liveOk);
            m.put("steps", stepLines);
            for (Ws.Conn c : held) {
                c.close();
            }
            double left = target.awaitSessionsAtMost(0, Duration.ofSeconds(90));
            m.put("sessions_left_after_close", left);
            m.putAll(cpu(whole));
            m.put("ok", liveOk && failedTotal == 0);
            return m;
        }
    }

    // ---------------------------------------------------------------- resume

    /** A user disconnects, N are published to it, it reconnects with since=<last id>: all N must arrive, once, in order. */
    Map<String, Object> resume() {
        int count = config.resumeCount();
        String tag = tag();
        String user = "resume-" + tag;
        Tally tally = new Tally(tag);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", count);
        Tally.Rx first = tally.receiver(0, n -> true, false);
        first.keepOrder = true;
        Opened a = open(client, 1, i -> target.ws("/ws/notifications/" + user), i -> user, i -> null, i -> first, 1);
        if (a.conns().isEmpty()) {
            throw new IllegalStateException("could not connect: " + a.firstError());
        }
        String[] answer = publisher.post("/notify/" + user, body(0, System.nanoTime(), tag, ""));
        drain(first.count, 1);
        String since;
        synchronized (first) {
            since = first.ids.isEmpty() ? null : first.ids.get(0);
        }
        if (since == null) {
            throw new IllegalStateException("the first notification did not arrive (publish answered " + answer[0] + ")");
        }
        a.closeAll();
        first.conn.closed().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> -1).join();
        target.awaitSessionsAtMost(0, Duration.ofSeconds(10));
        int accepted = 0;
        for (int k = 1; k <= count; k++) {
            if (publisher.post("/notify/" + user, body(k, System.nanoTime(), tag, ""))[0].equals("202")) {
                accepted++;
            }
        }
        Tally.Rx second = tally.receiver(1, n -> n >= 1, false);
        second.keepOrder = true;
        long t0 = System.nanoTime();
        Opened b = open(client, 1, i -> target.ws("/ws/notifications/" + user + "?since=" + since), i -> user,
                i -> null, i -> second, 1);
        drain(second.count, count);
        double allMs = (System.nanoTime() - t0) / 1e6;
        sleep(Duration.ofSeconds(1)); // anything extra would show now
        List<Integer> order;
        synchronized (second) {
            order = new ArrayList<>(second.order);
        }
        boolean inOrder = true;
        for (int i = 0; i < order.size(); i++) {
            inOrder &= order.get(i) == i + 1;
        }
        m.put("published_while_away", accepted);
        m.put("arrived", order.size());
        m.put("in_order", inOrder);
        m.put("duplicates", tally.duplicates.get());
        m.put("arrived_ms", allMs);
        m.put("reconnect_failed", b.failed());
        m.put("ok", accepted == count && order.size() == count && inOrder && tally.duplicates.get() == 0);
        closeAndSettle(b);
        return m;
    }
}
