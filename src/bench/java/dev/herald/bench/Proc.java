package dev.herald.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** Linux /proc readings: a process's CPU time and RSS, the machine's CPU and load, who listens on a port. */
final class Proc {

    /** USER_HZ: clock ticks per second in /proc/<pid>/stat and /proc/stat (100 on Linux x86). */
    static final double HZ = 100.0;

    private Proc() {
    }

    /** utime + stime of a process (all its threads), in ticks; -1 when it cannot be read. */
    static long cpuTicks(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "(comm) ": f[0] is field 3 (state); utime is field 14, stime field 15
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** VmRSS in KiB; -1 when it cannot be read. */
    static long rssKb(long pid) {
        return statusField(pid, "VmRSS:");
    }

    static long threads(long pid) {
        return statusField(pid, "Threads:");
    }

    private static long statusField(long pid, String name) {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    static long openFiles(long pid) {
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** This JVM's heap in use after a full GC, in KiB. */
    static long ownHeapAfterGcKb() {
        System.gc();
        return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1024;
    }

    /** The machine's {busy, total} CPU ticks over all cores (busy = total - idle - iowait). */
    static long[] systemTicks() {
        try {
            String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = line.trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
    }

    static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    static double load1() {
        try {
            return Double.parseDouble(loadavg().split(" ")[0]);
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The pid of the process holding a listening TCP socket on {@code port}, found through socket inodes. */
    static OptionalLong pidListening(int port) {
        String inode = null;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && f[3].equals("0A") && f[1].endsWith(String.format(":%04X", port))) {
                        inode = f[9];
                    }
                }
            } catch (IOException e) {
                // table missing
            }
        }
        if (inode == null) {
            return OptionalLong.empty();
        }
        String target = "socket:[" + inode + "]";
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            if (Files.readSymbolicLink(fd).toString().equals(target)) {
                                return OptionalLong.of(Long.parseLong(proc.getFileName().toString()));
                            }
                        } catch (IOException e) {
                            // closed meanwhile
                        }
                    }
                } catch (IOException | SecurityException e) {
                    // not ours to read
                }
            }
        } catch (IOException e) {
            // no /proc
        }
        return OptionalLong.empty();
    }

    /** CPU used by the generator, Herald, Redis and everything else on the machine between two snapshots. */
    record Snapshot(long nanos, long gen, long server, long redis, long sysBusy, long sysTotal) {

        static Snapshot take(long serverPid, long redisPid) {
            long[] sys = systemTicks();
            return new Snapshot(System.nanoTime(), cpuTicks(ProcessHandle.current().pid()), cpuTicks(serverPid),
                    cpuTicks(redisPid), sys[0], sys[1]);
        }

        Map<String, Object> since(Snapshot start) {
            Map<String, Object> m = new LinkedHashMap<>();
            double wall = (nanos - start.nanos) / 1e9;
            double gen = (this.gen - start.gen) / HZ;
            double server = this.server < 0 || start.server < 0 ? Double.NaN : (this.server - start.server) / HZ;
            double redis = this.redis < 0 || start.redis < 0 ? Double.NaN : (this.redis - start.redis) / HZ;
            double busy = (sysBusy - start.sysBusy) / HZ;
            m.put("wall_s", wall);
            m.put("gen_cpu_s", gen);
            m.put("server_cpu_s", server);
            m.put("redis_cpu_s", redis);
            m.put("machine_busy_s", busy);
            // what ran on the machine besides the generator, Herald and Redis: other sessions' work
            m.put("other_cpu_s", busy - gen - (Double.isNaN(server) ? 0 : server) - (Double.isNaN(redis) ? 0 : redis));
            m.put("gen_cores", wall > 0 ? gen / wall : Double.NaN);
            m.put("server_cores", wall > 0 ? server / wall : Double.NaN);
            return m;
        }
    }
}
