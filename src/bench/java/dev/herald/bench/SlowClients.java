package dev.herald.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/** Issue 4's slow clients: what 1 % of sockets that stop reading do to everyone else's latency and to the server. */
final class SlowClients {

    private final BenchConfig config;
    private final Scenarios scenarios;
    private final Target herald;
    private final Publisher publisher;

    SlowClients(BenchConfig config, Scenarios scenarios, Target herald, Publisher publisher) {
        this.config = config;
        this.scenarios = scenarios;
        this.herald = herald;
        this.publisher = publisher;
    }


    /**
     * 1,000 users under a steady open-loop rate, twice: all reading, then with 1% that stop reading. So that a
     * client that stops reading actually fills its buffers within the run, the slow-designated users also get
     * a "flood" (larger frames at a few per second) in BOTH runs: the server does the same work both times,
     * and only the reading differs. The others' latency is compared; the slow ones should be closed with 4429.
     */
    Map<String, Object> run() {
        int users = config.slow().users();
        int slowCount = config.slow().slowClients();
        double rate = config.slow().rate();
        double seconds = config.slow().seconds();
        double floodRate = config.slow().floodRate();
        int floodBytes = config.slow().floodBytes();
        int stride = users / slowCount;
        IntPredicate isSlow = i -> i % stride == 0 && i / stride < slowCount;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("users", users);
        m.put("slow_clients", slowCount);
        m.put("rate", rate);
        m.put("seconds", seconds);
        m.put("flood_per_slow_user_per_s", floodRate);
        m.put("flood_bytes", floodBytes);
        Map<String, Object> a = slowRun(users, isSlow, slowCount, rate, seconds, floodRate, floodBytes, false);
        Map<String, Object> b = slowRun(users, isSlow, slowCount, rate, seconds, floodRate, floodBytes, true);
        a.forEach((k, v) -> m.put("reading_" + k, v));
        b.forEach((k, v) -> m.put("slow_" + k, v));
        double p99a = (double) a.get("others_p99_ms");
        double p99b = (double) b.get("others_p99_ms");
        m.put("p99_change_pct", 100 * (p99b - p99a) / p99a);
        m.put("closed_4429", b.get("closed_4429_metric"));
        m.put("live_ok", b.get("live_ok"));
        m.put("threads_stuck_in_write", b.get("threads_stuck_in_write"));
        m.put("ok", (double) a.get("others_ratio") == 1.0 && (double) b.get("others_ratio") == 1.0
                && Boolean.TRUE.equals(b.get("live_ok")) && Long.valueOf(0).equals(b.get("threads_stuck_in_write")));
        return m;
    }

    private Map<String, Object> slowRun(int users, IntPredicate isSlow, int slowCount, double rate, double seconds,
                                        double floodRate, int floodBytes, boolean stopReading) {
        String tag = Scenarios.tag();
        Tally tally = new Tally(tag);
        Scenarios.Opened opened = scenarios.openUsers(users, "s", i -> tally.receiver(i, n -> n % users == i, !isSlow.test(i)));
        List<Tally.Rx> slowRx;
        synchronized (tally.receivers) {
            slowRx = tally.receivers.stream().filter(rx -> isSlow.test(rx.index)).toList();
        }
        if (stopReading) {
            slowRx.forEach(rx -> rx.conn.pause());
        }
        double slowClosedBefore = herald.metric("herald_sessions_closed_total", "reason=\"slow\"");
        double errorClosedBefore = herald.metric("herald_sessions_closed_total", "reason=\"error\"");
        Map<String, Object> m = new LinkedHashMap<>();
        try {
            int messages = (int) Math.round(rate * seconds);
            // both runs flood the slow-designated users, so the server's work is the same and only the reading
            // differs (without it in the baseline, the change measured the 240 MB of extra publishing instead)
            int floodMessages = (int) Math.round(floodRate * slowCount * seconds);
            String padding = "x".repeat(floodBytes);
            List<Integer> slowUsers = new ArrayList<>();
            for (int i = 0; i < users; i++) {
                if (isSlow.test(i)) {
                    slowUsers.add(i);
                }
            }
            // probes while it runs: liveness every second, thread dumps at 60% and 90% of the run
            List<Integer> liveStatuses = Collections.synchronizedList(new ArrayList<>());
            AtomicLong liveMaxMicros = new AtomicLong();
            List<String> dumps = Collections.synchronizedList(new ArrayList<>());
            List<Double> closedAt = Collections.synchronizedList(new ArrayList<>()); // s after start, one per 4429 seen
            double[] lastSlowCount = {Double.isNaN(slowClosedBefore) ? 0 : slowClosedBefore};
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
            long end = start + (long) (seconds * 1e9);
            Thread probe = new Thread(() -> {
                boolean d1 = false;
                boolean d2 = false;
                while (System.nanoTime() < end + TimeUnit.SECONDS.toNanos(1)) {
                    long t0 = System.nanoTime();
                    String[] live = herald.live();
                    liveMaxMicros.accumulateAndGet((System.nanoTime() - t0) / 1000, Math::max);
                    liveStatuses.add(Integer.parseInt(live[0]));
                    if (stopReading) {
                        double closedNow = herald.metric("herald_sessions_closed_total", "reason=\"slow\"");
                        for (; closedNow > lastSlowCount[0]; lastSlowCount[0]++) {
                            closedAt.add((System.nanoTime() - start) / 1e9);
                        }
                    }
                    double done = (System.nanoTime() - start) / (double) (end - start);
                    if (stopReading && !d1 && done >= 0.6) {
                        d1 = true;
                        dumps.add(herald.threadDump());
                    } else if (stopReading && !d2 && done >= 0.9) {
                        d2 = true;
                        dumps.add(herald.threadDump());
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1000));
                }
            }, "probe");
            probe.setDaemon(true);
            Proc.Snapshot s0 = scenarios.snapshot();
            AtomicReference<Publisher.Outcome> floodOut = new AtomicReference<>();
            Publisher.Message flood = Publisher.Message.stamped(k -> "/notify/s" + slowUsers.get(k % slowUsers.size()),
                    tag + "f", padding);
            Thread floodThread = new Thread(() -> floodOut.set(publisher.openLoop(floodMessages, floodRate * slowCount, 8,
                    flood, start, start + scenarios.maxNanos, false)), "flood");
            floodThread.setDaemon(true);
            probe.start();
            floodThread.start();
            Publisher.Outcome out = publisher.openLoop(messages, rate, 16,
                    Publisher.Message.stamped(k -> "/notify/s" + (k % users), tag, ""), start, start + scenarios.maxNanos, false);
            IntPredicate forOthers = n -> !isSlow.test(n % users);
            long expectedOthers = 0;
            for (int k = 0; k < messages; k++) {
                if (out.ok(k) && forOthers.test(k)) {
                    expectedOthers++;
                }
            }
            AtomicLong othersDelivered = new AtomicLong();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                long sum = 0;
                synchronized (tally.receivers) {
                    for (Tally.Rx rx : tally.receivers) {
                        if (!isSlow.test(rx.index)) {
                            sum += rx.count.get();
                        }
                    }
                }
                othersDelivered.set(sum);
                if (sum >= expectedOthers) {
                    break;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            try {
                floodThread.join(TimeUnit.NANOSECONDS.toMillis(scenarios.maxNanos));
                probe.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            m.putAll(scenarios.cpu(s0));
            Scenarios.sleep(Duration.ofSeconds(1));
            double slowClosedAfter = herald.metric("herald_sessions_closed_total", "reason=\"slow\"");
            double errorClosedAfter = herald.metric("herald_sessions_closed_total", "reason=\"error\"");
            long valid = 0;
            synchronized (tally.receivers) {
                for (Tally.Rx rx : tally.receivers) {
                    if (!isSlow.test(rx.index)) {
                        valid += rx.validCount(out::ok);
                    }
                }
            }
            m.put("published", out.accepted.get());
            m.put("flood_published", floodOut.get() == null ? 0 : floodOut.get().accepted.get());
            m.put("publish_failed", out.failed.get() + (floodOut.get() == null ? 0 : floodOut.get().failed.get()));
            m.put("others_expected", expectedOthers);
            m.put("others_delivered", valid);
            m.put("others_ratio", expectedOthers == 0 ? Double.NaN : (double) valid / expectedOthers);
            m.put("duplicates", tally.duplicates.get());
            Histogram h = tally.latency.getIntervalHistogram();
            m.put("others_p50_ms", h.getValueAtPercentile(50) / 1000.0);
            m.put("others_p99_ms", h.getValueAtPercentile(99) / 1000.0);
            m.put("others_max_ms", h.getMaxValue() / 1000.0);
            m.put("send_lag_p99_ms", out.sendLag.getIntervalHistogram().getValueAtPercentile(99) / 1000.0);
            m.put("closed_4429_metric", slowClosedAfter - (Double.isNaN(slowClosedBefore) ? 0 : slowClosedBefore));
            // sessions closed for another reason (e.g. 1011 after a failed or timed-out send) meanwhile
            m.put("closed_error_metric", errorClosedAfter - (Double.isNaN(errorClosedBefore) ? 0 : errorClosedBefore));
            synchronized (liveStatuses) {
                m.put("live_probes", liveStatuses.size());
                m.put("live_ok", !liveStatuses.isEmpty() && liveStatuses.stream().allMatch(s -> s == 200));
            }
            m.put("live_max_ms", liveMaxMicros.get() / 1000.0);
            if (stopReading) {
                // let the slow clients read again: what is left in the kernel, then (if the server sent it) the Close
                slowRx.forEach(rx -> rx.conn.resume());
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (System.nanoTime() < until && slowRx.stream().anyMatch(rx -> !rx.conn.closed().isDone())) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                }
                m.put("slow_closed_4429_seen", slowRx.stream().filter(rx -> rx.closeCode == 4429).count());
                m.put("slow_close_codes", slowRx.stream().map(rx -> rx.closeCode).toList().toString());
                m.put("slow_close_reasons", slowRx.stream().map(rx -> String.valueOf(rx.closeReason)).distinct().toList().toString());
                synchronized (closedAt) {
                    // seen by a once-a-second metric poll: accurate to about a second
                    m.put("first_4429_after_s", closedAt.isEmpty() ? Double.NaN : closedAt.get(0));
                    m.put("last_4429_after_s", closedAt.isEmpty() ? Double.NaN : closedAt.get(closedAt.size() - 1));
                    // what the server had been handed for one slow client before it gave up on it (kernel + queues)
                    m.put("flood_mb_per_slow_client_before_4429", closedAt.isEmpty() ? Double.NaN
                            : closedAt.get(0) * floodRate * floodBytes / 1e6);
                }
                long received = slowRx.stream().mapToLong(rx -> rx.count.get()).sum();
                m.put("slow_frames_received", received);
                analyse(m, dumps);
                List<String> files = new ArrayList<>();
                for (int i = 0; i < dumps.size(); i++) {
                    java.nio.file.Path file = config.outDir().resolve("threads-slow-" + tag + "-" + (i + 1) + ".txt");
                    try {
                        java.nio.file.Files.writeString(file, String.valueOf(dumps.get(i)));
                        files.add(file.getFileName().toString());
                    } catch (java.io.IOException e) {
                        Bench.log("could not write " + file + ": " + e);
                    }
                }
                m.put("thread_dump_files", String.join(" ", files));
            }
            return m;
        } finally {
            scenarios.closeAndSettle(opened);
        }
    }

    private static final Pattern THREAD = Pattern.compile("^\"([^\"]+)\"", Pattern.MULTILINE);
    private static final List<String> WRITE_FRAMES = List.of("SocketDispatcher.write", "SocketChannelImpl.write",
            "NioSocketImpl.write", "SocketOutputStream.write", "IOUtil.write", "TemporarySelectorWriter",
            "blockAfterWriteIfNeeded", "OutputBuffer.flush", "TyrusRemoteEndpoint$Basic.send", "BasicRemote.send",
            "TyrusFuture.get", "FutureImpl.get", "SafeFutureImpl.get");

    /**
     * A thread is stuck in a socket write when it sits in a write frame in both dumps (a moment apart); a thread
     * passing through a non-blocking write once is normal.
     */
    static void analyse(Map<String, Object> m, List<String> dumps) {
        List<List<String>> inWrite = new ArrayList<>();
        for (String dump : dumps) {
            List<String> names = new ArrayList<>();
            if (dump != null) {
                for (String block : dump.split("\n\n")) {
                    Matcher name = THREAD.matcher(block.strip());
                    if (!name.find()) {
                        continue;
                    }
                    String[] lines = block.strip().split("\n");
                    boolean writing = false;
                    for (int i = 0; i < Math.min(lines.length, 14); i++) {
                        for (String frame : WRITE_FRAMES) {
                            writing |= lines[i].contains(frame);
                        }
                    }
                    if (writing) {
                        names.add(name.group(1));
                    }
                }
            }
            inWrite.add(names);
        }
        m.put("thread_dumps", dumps.stream().filter(d -> d != null && d.contains("Full thread dump")).count());
        m.put("threads_in_write_per_dump", inWrite.stream().map(List::size).toList().toString());
        List<String> stuck = inWrite.isEmpty() ? List.of() : new ArrayList<>(inWrite.get(0));
        for (List<String> other : inWrite) {
            stuck.retainAll(other);
        }
        m.put("threads_stuck_in_write", (long) (dumps.size() < 2 ? -1 : stuck.size()));
        if (!stuck.isEmpty()) {
            m.put("stuck_threads", String.join(", ", stuck));
        }
    }
}
