package dev.herald.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Herald against the reference peer (issue 17): per scenario run a "pair" line with each side's figure, the ratio
 * herald / peer, and each server's CPU per published notification and per delivered frame; per scenario a median
 * line over the runs; at the end a markdown table in {@code target/bench/summary.md}.
 * <p>
 * The figure: unicast and batch delivered/s (for batch the peer's figure is its unicast delivered/s of the same
 * run, the issue's reference: the peer has no batch route); latency and broadcast the end-to-end p99. The ratio
 * is herald / peer for both kinds (above 1 is better for throughput, worse for p99). The median line gives the
 * median of each side's figure and the median of the per-run ratios (each Herald run paired with the peer run just
 * before it: that pairing is what cancels the machine's drift). Scenarios the peer cannot serve (idle, resume,
 * slow) get Herald's figure only.
 */
final class Comparison {

    /** What a scenario is judged by: a key of its line, how the table names it. */
    record Figure(String key, String label) {
    }

    static Figure figure(String scenario) {
        return switch (scenario) {
            case "unicast", "batch" -> new Figure("delivered_per_s", "delivered/s");
            case "latency", "broadcast" -> new Figure("p99_ms", "p99 ms");
            case "idle" -> new Figure("heap_per_socket_kb", "KB heap per idle socket after GC");
            case "resume" -> new Figure("arrived", "arrived after reconnect");
            case "slow" -> new Figure("slow_others_p99_ms", "others' p99 ms with slow clients");
            default -> throw new IllegalArgumentException(scenario);
        };
    }

    /** Scenarios the reference peer serves as they are. */
    static boolean peerServes(String scenario) {
        return scenario.equals("unicast") || scenario.equals("latency") || scenario.equals("broadcast");
    }

    /** The pair line of one run: Herald's line and the peer's (null without a peer). */
    static Map<String, Object> pair(String scenario, String server, Map<String, Object> herald, Map<String, Object> peer) {
        Figure f = figure(scenario);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scenario", scenario);
        m.put("summary", "pair");
        m.put("run", herald.get("run"));
        m.put("server", server);
        if (herald.containsKey("sockets")) {
            m.put("sockets", herald.get("sockets"));
        }
        m.put("figure", f.key());
        if (scenario.equals("batch")) {
            m.put("peer_figure", "unicast " + f.key());
        }
        double h = number(herald, f.key());
        double p = peer == null ? Double.NaN : number(peer, f.key());
        m.put("herald", h);
        m.put("peer", p);
        m.put("ratio", h / p);
        if (f.key().equals("p99_ms")) {
            m.put("herald_p50_ms", number(herald, "p50_ms"));
            m.put("peer_p50_ms", peer == null ? Double.NaN : number(peer, "p50_ms"));
        }
        for (String per : List.of("notification", "frame")) {
            m.put("herald_cpu_us_per_" + per, number(herald, "server_cpu_us_per_" + per));
            m.put("peer_cpu_us_per_" + per, peer == null ? Double.NaN : number(peer, "server_cpu_us_per_" + per));
        }
        m.put("herald_delivery_ratio", number(herald, "ratio"));
        m.put("peer_delivery_ratio", peer == null ? Double.NaN : number(peer, "ratio"));
        boolean heraldOk = !Boolean.FALSE.equals(herald.get("ok"));
        boolean peerOk = peer == null || !Boolean.FALSE.equals(peer.get("ok"));
        m.put("herald_ok", heraldOk);
        m.put("peer_ok", peerOk);
        m.put("ok", heraldOk && peerOk);
        return m;
    }

    private static double number(Map<String, Object> line, String key) {
        return line.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** One readable line for the log: both figures, the ratio, CPU per notification and per frame. */
    static String describe(Map<String, Object> pair) {
        String key = (String) pair.get("figure");
        StringBuilder b = new StringBuilder();
        b.append(pair.get("scenario")).append(pair.get("sockets") instanceof Number n ? "@" + n.intValue() : "")
                .append(pair.get("summary").equals("median") ? " median of " + pair.get("runs") + " runs" : " run " + pair.get("run"))
                .append(" on ").append(pair.get("server")).append(": ").append(key).append(" herald ")
                .append(format(pair.get("herald"))).append(", peer ").append(format(pair.get("peer")))
                .append(pair.containsKey("peer_figure") ? " (its unicast)" : "")
                .append(", ratio ").append(ratio(pair.get("ratio")))
                .append("; server CPU µs/notification herald ").append(format(pair.get("herald_cpu_us_per_notification")))
                .append(" peer ").append(format(pair.get("peer_cpu_us_per_notification")))
                .append(", µs/frame herald ").append(format(pair.get("herald_cpu_us_per_frame")))
                .append(" peer ").append(format(pair.get("peer_cpu_us_per_frame")))
                .append("; delivery ratio herald ").append(delivery(pair.get("herald_delivery_ratio")))
                .append(" peer ").append(delivery(pair.get("peer_delivery_ratio")))
                .append(Boolean.FALSE.equals(pair.get("ok")) ? "; NOT OK" : "");
        return b.toString();
    }

    /** target/bench/summary.md: one table row per scenario (broadcast: per socket count) from the median lines. */
    static void writeSummary(Path file, BenchConfig config, String server, boolean withPeer, List<Map<String, Object>> medians) {
        StringBuilder md = new StringBuilder();
        md.append("Herald on ").append(server).append(withPeer ? " against the reference peer (" + Peer.NAME + ")" : " (no peer)")
                .append(", ").append(Instant.now().toString(), 0, 16).append("Z; ")
                .append(config.runs() == 1 ? "1 run" : "medians of " + config.runs() + " runs")
                .append(config.warmup() > 0 ? " after a " + config.warmup() + "-notification warm-up" : "")
                .append("; ratio = herald / peer (median of the per-run ratios); server CPU from /proc of the server JVM and the peer's node process.\n\n");
        md.append("| scenario | figure | Herald | peer | ratio | server CPU µs / notification (Herald / peer) | server CPU µs / frame (Herald / peer) | delivery ratio (Herald / peer) |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> m : medians) {
            String scenario = (String) m.get("scenario");
            md.append("| ").append(describeScenario(config, scenario, m.get("sockets")))
                    .append(" | ").append(figure(scenario).label()).append(scenario.equals("batch") ? " (peer: its unicast)" : "")
                    .append(" | ").append(format(m.get("herald"))).append(p50(m, "herald"))
                    .append(" | ").append(format(m.get("peer"))).append(p50(m, "peer"))
                    .append(" | ").append(ratio(m.get("ratio")))
                    .append(" | ").append(format(m.get("herald_cpu_us_per_notification"))).append(" / ").append(format(m.get("peer_cpu_us_per_notification")))
                    .append(" | ").append(format(m.get("herald_cpu_us_per_frame"))).append(" / ").append(format(m.get("peer_cpu_us_per_frame")))
                    .append(" | ").append(delivery(m.get("herald_delivery_ratio"))).append(" / ").append(delivery(m.get("peer_delivery_ratio")))
                    .append(Boolean.FALSE.equals(m.get("ok")) ? " (NOT OK)" : "")
                    .append(" |\n");
        }
        try {
            Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Bench.log("summary table in " + file + ":\n" + md);
    }

    private static String describeScenario(BenchConfig c, String scenario, Object sockets) {
        return switch (scenario) {
            case "unicast" -> String.format(Locale.ROOT, "unicast: %,d users, %,d × `POST /notify/{user}`, %d publishers",
                    c.unicast().users(), c.unicast().messages(), c.unicast().publishers());
            case "batch" -> String.format(Locale.ROOT, "batch: %,d users, %,d items in `POST /notify-batch` of %d, %d publishers",
                    c.batch().users(), c.batch().messages(), c.batch().size(), c.batch().publishers());
            case "latency" -> String.format(Locale.ROOT, "latency: %,d users, %s publishes/s for %s s, open loop",
                    c.latency().users(), format(c.latency().rate()), format(c.latency().seconds()));
            case "broadcast" -> String.format(Locale.ROOT, "broadcast: %s sockets, %s/s for %s s", format(sockets),
                    format(c.broadcast().rate()), format(c.broadcast().seconds()));
            case "idle" -> String.format(Locale.ROOT, "idle: heap per socket at %,d idle sockets", c.idle().heapAt());
            case "resume" -> String.format(Locale.ROOT, "resume: %d published while away", c.resumeCount());
            case "slow" -> String.format(Locale.ROOT, "slow: %,d users at %s/s, %d stop reading", c.slow().users(),
                    format(c.slow().rate()), c.slow().slowClients());
            default -> scenario;
        };
    }

    /** " (p50 x)" after a p99 figure, else nothing. */
    private static String p50(Map<String, Object> m, String side) {
        return m.get(side + "_p50_ms") instanceof Number n && !Double.isNaN(n.doubleValue()) ? " (p50 " + format(n) + ")" : "";
    }

    /** Delivered / expected: "1" only when exactly 1 (every accepted notification arrived), else 6 decimals. */
    static String delivery(Object value) {
        if (!(value instanceof Number n) || Double.isNaN(n.doubleValue())) {
            return "–";
        }
        return n.doubleValue() == 1.0 ? "1" : String.format(Locale.ROOT, "%.6f", n.doubleValue());
    }

    static String format(Object value) {
        if (!(value instanceof Number n) || Double.isNaN(n.doubleValue())) {
            return "–";
        }
        double d = n.doubleValue();
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return String.format(Locale.ROOT, "%,d", (long) d);
        }
        if (Math.abs(d) >= 100) {
            return String.format(Locale.ROOT, "%,.0f", d);
        }
        return String.format(Locale.ROOT, Math.abs(d) >= 10 ? "%.1f" : "%.2f", d);
    }

    static String ratio(Object value) {
        return value instanceof Number n && !Double.isNaN(n.doubleValue()) && !Double.isInfinite(n.doubleValue())
                ? String.format(Locale.ROOT, "%.2f×", n.doubleValue()) : "–";
    }

    /** Groups lines by scenario (broadcast: by socket count) in the order first seen. */
    static Map<String, List<Map<String, Object>>> byScenario(List<Map<String, Object>> lines) {
        Map<String, List<Map<String, Object>>> by = new LinkedHashMap<>();
        for (Map<String, Object> line : lines) {
            String key = line.get("scenario") + (line.get("sockets") instanceof Number n ? "@" + n.intValue() : "");
            by.computeIfAbsent(key, k -> new ArrayList<>()).add(line);
        }
        return by;
    }
}
