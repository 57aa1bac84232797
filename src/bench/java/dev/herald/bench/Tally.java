package dev.herald.bench;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What the receivers of one scenario run saw. Every frame carries the run's tag, its message number n and
 * its send stamp t; each receiver keeps the set of n it received, so the delivered count is exact: a frame
 * counts once per socket, a second copy is a duplicate, a frame for another socket is misrouted, and only
 * messages answered 202 are expected.
 */
final class Tally {

    final String tag;
    final String floodTag;
    final Recorder latency = new Recorder(3);
    final AtomicLong delivered = new AtomicLong();
    final AtomicLong duplicates = new AtomicLong();
    final AtomicLong misrouted = new AtomicLong();
    final AtomicLong foreign = new AtomicLong();
    final AtomicLong flood = new AtomicLong();
    final AtomicLong badFrames = new AtomicLong();
    final AtomicLong lastArrival = new AtomicLong();
    final List<Rx> receivers = new ArrayList<>();

    Tally(String tag) {
        this.tag = tag;
        this.floodTag = tag + "f";
    }

    /**
     * A receiver for one socket.
     *
     * @param accepts which message numbers are meant for this socket (others count as misrouted)
     * @param measured whether its latencies go into the histogram
     */
    Rx receiver(int index, IntPredicate accepts, boolean measured) {
        Rx rx = new Rx(index, accepts, measured);
        synchronized (receivers) {
            receivers.add(rx);
        }
        return rx;
    }

    final class Rx implements Ws.Handler {
        final int index;
        final IntPredicate accepts;
        final boolean measured;
        final BitSet seen = new BitSet();
        final AtomicLong count = new AtomicLong();
        volatile int closeCode = -1;
        volatile String closeReason;
        volatile Ws.Conn conn;
        /** For resume: the ids and numbers in arrival order. */
        final List<String> ids = new ArrayList<>();
        final List<Integer> order = new ArrayList<>();
        boolean keepOrder;

        Rx(int index, IntPredicate accepts, boolean measured) {
            this.index = index;
            this.accepts = accepts;
            this.measured = measured;
        }

        @Override
        public void onText(Ws.Conn c, CharSequence frame) {
            long now = System.nanoTime();
            int r = Ws.valueAt(frame, "r");
            if (!Ws.stringEquals(frame, r, tag)) {
                if (Ws.stringEquals(frame, r, floodTag)) {
                    flood.incrementAndGet();
                } else {
                    foreign.incrementAndGet();
                }
                return;
            }
            int tAt = Ws.valueAt(frame, "t");
            int nAt = Ws.valueAt(frame, "n");
            if (tAt < 0 || nAt < 0) {
                badFrames.incrementAndGet();
                return;
            }
            long t = Ws.longAt(frame, tAt);
            int n = (int) Ws.longAt(frame, nAt);
            if (!accepts.test(n)) {
                misrouted.incrementAndGet();
                return;
            }
            synchronized (this) {
                if (seen.get(n)) {
                    duplicates.incrementAndGet();
                    return;
                }
                seen.set(n);
                if (keepOrder) {
                    ids.add(Ws.stringAt(frame, Ws.valueAt(frame, "id")));
                    order.add(n);
                }
            }
            if (measured) {
                latency.recordValue(Math.max(0, (now - t) / 1000));
            }
            count.incrementAndGet();
            delivered.incrementAndGet();
            lastArrival.accumulateAndGet(now, Math::max);
        }

        @Override
        public void onClose(Ws.Conn c, int code, String reason) {
            closeReason = reason;
            closeCode = code;
        }

        synchronized int validCount(IntPredicate ok) {
            int valid = 0;
            for (int n = seen.nextSetBit(0); n >= 0; n = seen.nextSetBit(n + 1)) {
                if (ok.test(n)) {
                    valid++;
                }
            }
            return valid;
        }
    }

    /** delivered (each 202'd message once on each socket meant to get it) over expected. */
    Map<String, Object> accounting(long expected, IntPredicate accepted, IntPredicate measuredRx) {
        long valid = 0;
        long unexpected = 0;
        long validMeasured = 0;
        synchronized (receivers) {
            for (Rx rx : receivers) {
                int v = rx.validCount(accepted);
                valid += v;
                unexpected += rx.count.get() - v;
                if (measuredRx.test(rx.index)) {
                    validMeasured += v;
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("expected", expected);
        m.put("delivered", valid);
        m.put("ratio", expected == 0 ? Double.NaN : (double) valid / expected);
        m.put("duplicates", duplicates.get());
        m.put("misrouted", misrouted.get());
        m.put("unexpected", unexpected);
        m.put("foreign", foreign.get());
        return m;
    }

    static void percentiles(Map<String, Object> m, String prefix, Histogram h) {
        m.put(prefix + "samples", h.getTotalCount());
        m.put(prefix + "p50_ms", h.getValueAtPercentile(50) / 1000.0);
        m.put(prefix + "p90_ms", h.getValueAtPercentile(90) / 1000.0);
        m.put(prefix + "p99_ms", h.getValueAtPercentile(99) / 1000.0);
        m.put(prefix + "p999_ms", h.getValueAtPercentile(99.9) / 1000.0);
        m.put(prefix + "max_ms", h.getMaxValue() / 1000.0);
        m.put(prefix + "mean_ms", h.getMean() / 1000.0);
    }
}
