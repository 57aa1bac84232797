/**
 * Herald's load benchmark (issue 7). {@code src/bench/java} is a test source root only in the Maven profile
 * {@code bench}: never in the WAR, never compiled or run by a plain {@code ./mvnw verify}; CI keeps it compiling
 * with {@code ./mvnw -Pbench test-compile}.
 *
 * <h2>Run</h2>
 * <pre>
 * ./mvnw -Pbench verify                                   # every scenario once, at the sizes
 * ./mvnw -Pbench verify -Dbench.runs=3                    # medians of 3 runs (one summary line per scenario)
 * ./mvnw -Pbench verify -Dbench.scenarios=unicast,latency # a selection
 * ./mvnw -Pbench verify -Dbench.url=http://127.0.0.1:8080 # a Herald already running (its pid is found from the port)
 * ./mvnw -Pbench verify -Dbench.url=http://127.0.0.1:8001 -Dbench.auth=none -Dbench.redisPid=… \
 *        -Dbench.scenarios=unicast,latency,broadcast      # the reference peer (../shared/peers/node-ws-redis)
 * </pre>
 * The profile builds the WAR and target/payara-micro.jar, then runs {@link dev.herald.bench.Bench} in its own
 * JVM (the "generator"), which reads its {@link dev.herald.bench.BenchConfig} once, starts a redis-server and
 * Herald on Payara Micro through the integration tests' harness ({@code dev.herald.testing.RedisServer},
 * {@code HeraldNode}: {@code HERALD_BROKER=redis}, loopback only, the shipped {@code payara-config}, a 2 GB heap
 * unless {@code bench.serverJvmArgs} says otherwise), waits for {@code /health/ready}, runs a short unreported
 * warm-up, then the scenarios. Each scenario run prints one JSON line on stdout and appends it to
 * {@code target/bench/results.jsonl}; the server's log ({@code herald.log}), thread dumps and JFR recordings
 * ({@code -Dbench.jfr=true}) land in {@code target/bench/} too.
 *
 * <h2>Scenarios and sizes ({@code -Dbench.<key>=…}; defaults are issue 7's)</h2>
 * <ul>
 * <li>{@code unicast}: {@code unicast.users}=1000 sockets on /ws/notifications/u&lt;i&gt;, {@code unicast.messages}=20000
 *     round-robin, {@code unicast.publishers}=50 keep-alive publishers at full speed (closed loop).</li>
 * <li>{@code batch}: {@code batch.users}=1000 sockets on /ws/notifications/b&lt;i&gt;, {@code batch.messages}=500000
 *     round-robin in POST /notify-batch requests of {@code batch.size}=500 items, {@code batch.publishers}=4 at full
 *     speed (closed loop); every item carries its own send stamp.</li>
 * <li>{@code latency}: {@code latency.users}=1000, {@code latency.rate}=500/s for {@code latency.seconds}=20, open loop:
 *     each message is stamped with its intended send time (no coordinated omission); {@code send_lag_*} shows how
 *     late the generator actually sent.</li>
 * <li>{@code broadcast}: {@code broadcast.sockets}=2000,5000 on /ws/notifications, {@code broadcast.rate}=10/s for
 *     {@code broadcast.seconds}=10, open loop; one line per socket count.</li>
 * <li>{@code idle}: sockets opened in {@code idle.steps}=1000,5000,10000,15000,19000 from {@code idle.sources}=4
 *     source addresses (127.0.0.1…4); at each step: connect rate, server VmRSS delta per socket, server and
 *     generator CPU over {@code idle.cpuSeconds}=10 s idle, a /health/live probe, open fds.</li>
 * <li>{@code resume}: a user disconnects, {@code resume.count}=10 are published, it reconnects with since=: all
 *     must arrive, once, in order.</li>
 * <li>{@code slow} (issue 4): {@code slow.users}=1000 at {@code slow.rate}=500/s for {@code slow.seconds}=20, run
 *     twice: all reading, then with {@code slow.slowClients}=10 that stop reading. So that a stopped client
 *     actually fills its buffers within the run, the slow-designated users also get {@code slow.floodRate}=20/s
 *     each of {@code slow.floodBytes}=60000-byte notifications in BOTH runs (the server's work is the same; only
 *     the reading differs). Reports the others' p50/p99 in both runs and the change, the 4429 closes (server
 *     metric, and close codes the slow clients see once they read again), /health/live every second, and two
 *     jcmd Thread.print dumps: a thread in a socket-write frame in both is "stuck".</li>
 * </ul>
 *
 * <h2>Accounting</h2>
 * Every body is {@code {"t":<System.nanoTime()>,"n":<k>,"r":"<run tag>"}}; generator and receivers share one
 * JVM, so the receiver subtracts t from its own nanoTime. Each socket keeps the set of n it received: a message
 * answered 202 counts once per socket meant to get it; a second copy is a duplicate, a copy on the wrong socket
 * misrouted. {@code ratio} = delivered / expected and must be exactly 1 ({@code "ok":false} and exit code 3
 * otherwise; {@code -Dbench.strict=false} keeps exit 0).
 *
 * <h2>Other options</h2>
 * {@code bench.client}=jdk (default: {@link dev.herald.bench.JdkWsClient}, java.net.http) or nio
 * ({@link dev.herald.bench.NioWsClient}, a small NIO WebSocket client: its comment has the figures for why it is
 * kept; the idle scenario uses it whenever {@code idle.sources} &gt; 1, because it binds source addresses);
 * {@code bench.nio.threads}=1; {@code bench.auth}=test-key (default) or none; {@code bench.warmup}=3000 (0: none);
 * {@code bench.quietLoad}=0.7 waits (20 s polls, at most {@code bench.quietWaitSeconds}=600) before the run and
 * each scenario until the 1-minute load is below it; {@code bench.maxSeconds}=300 bounds every loop;
 * {@code bench.serverJvmArgs}="…" for the Payara JVM (after the default -Xmx2g); {@code bench.jfr}=true records
 * the server with JFR ({@code src/bench/jfr-top.py} summarises a recording's CPU samples);
 * {@code bench.jvmArgs}="-Xms1g -Xmx2g" for the generator.
 * Every line also carries the CPU seconds of the generator, Herald and Redis over the measured phase (from
 * /proc), {@code other_cpu_s} (everything else on the machine meanwhile) and the load average at start and end.
 * <p>
 * Authentication: {@link dev.herald.bench.TokenSource} signs a publisher token and one token per user with the
 * test key ({@code dev.herald.testing.TestTokens}), or sends none ({@code bench.auth=none}).
 * <h2>The reference peer</h2>
 * Scenarios unicast, latency and broadcast run against the peer as they are (a publish counts when answered
 * 2xx: Herald answers 202, the peer 200); it has no batch route, no resume, no metrics and no /health/live, so
 * batch and resume fail there, slow reports no closes, and idle reports no liveness.
 */
package dev.herald.bench;
