/**
 * Herald's load benchmark (issues 7 and 17). {@code src/bench/java} is a test source root only in the Maven profile
 * {@code bench}: never in the WAR, never compiled or run by a plain {@code ./mvnw verify}; CI keeps it compiling
 * with {@code ./mvnw -q -Pbench -DskipTests test-compile}.
 *
 * <h2>Run</h2>
 * <pre>
 * ./mvnw -Pbench verify                                   # every scenario once, on Payara Micro, paired with the peer
 * ./mvnw -Pbench verify -Dbench.runs=3                    # medians of 3 paired runs (issue 17's measure)
 * ./mvnw -Pbench verify -Dbench.server=liberty            # Herald on Open Liberty (unpacked into target/servers/wlp)
 * ./mvnw -Pbench verify -Dbench.server=wildfly            # Herald on WildFly (target/servers/wildfly-*)
 * ./mvnw -Pbench verify -Dbench.scenarios=unicast,latency # a selection
 * ./mvnw -Pbench verify -Dbench.jfr=true                  # and a JFR recording of the server JVM in target/bench/
 * ./mvnw -Pbench verify -Dbench.peer=false                # Herald alone
 * ./mvnw -Pbench verify -Dbench.url=http://127.0.0.1:8080 # a Herald already running (its pid is found from the port)
 * </pre>
 * The profile builds the WAR and target/payara-micro.jar; {@code -Dbench.server=liberty|wildfly} also turns on the
 * profile {@code bench-liberty} or {@code bench-wildfly}, which unpacks that runtime from Maven Central into
 * {@code target/servers} once (the same place and version as the {@code liberty}/{@code wildfly} test profiles).
 * Then it runs {@link dev.herald.bench.Bench} in its own JVM (the "generator"), which reads its
 * {@link dev.herald.bench.BenchConfig} once and starts:
 * <ul>
 * <li>the reference peer ({@link dev.herald.bench.Peer}: {@code bench.peerDir}, default
 *     {@code ../shared/peers/node-ws-redis} next to the project, copied to {@code target/peer}, {@code npm ci --silent}
 *     there when its modules are missing or its lock file changed, then {@code node server.mjs} on a free loopback
 *     port against its own redis-server; {@code bench.node}=node names the binary; a missing directory stops the
 *     benchmark with what to do);</li>
 * <li>a redis-server and Herald on {@code bench.server} (payara-micro, the default; liberty; wildfly) through the
 *     integration tests' harness ({@code dev.herald.testing.RedisServer}, {@code HeraldNode}, {@code ServerRuntime}:
 *     {@code HERALD_BROKER=redis}, loopback only, the shipped {@code payara-config} / Liberty {@code server.xml} /
 *     WildFly {@code standalone-microprofile.xml}, security on, a 2 GB heap unless {@code bench.serverJvmArgs} says
 *     otherwise), and waits for {@code /health/ready}. The pid whose CPU counts is the JVM listening on Herald's port
 *     (WildFly's standalone.sh forks it), and the peer's node process.</li>
 * </ul>
 * Both get the same unreported unicast warm-up; then, in each of {@code bench.runs} runs, every selected scenario the
 * peer serves (unicast, latency, broadcast: per socket count) runs on the peer and right after on Herald; batch is
 * compared with the peer's unicast of the same run (run on the peer just before batch unless this run already has
 * one); idle, resume and slow run on Herald only. Each scenario run prints one JSON line per side ({@code "target":
 * "peer"|"herald"}) and one {@code "summary":"pair"} line: {@code figure}, {@code herald}, {@code peer},
 * {@code ratio} (herald / peer: delivered/s for unicast and batch, p99 for latency and broadcast), server CPU per
 * published notification and per delivered frame for both ({@code herald_cpu_us_per_notification},
 * {@code peer_cpu_us_per_frame}, ...) and both delivery ratios. At the end: the median lines of each side and of the
 * pairs (ratio: the median of the per-run ratios), all on stdout and appended to {@code target/bench/results.jsonl},
 * and a markdown table of the pairs' medians in {@code target/bench/summary.md}. The servers' logs
 * ({@code herald-<server>.log}, {@code peer.log}, {@code peer-npm.log}), thread dumps and JFR recordings land in
 * {@code target/bench/} too.
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
 *     source addresses (127.0.0.1…4); at each step: connect rate, server VmRSS delta per socket, the server's live
 *     heap per socket ({@code jcmd <pid> GC.class_histogram}: a full GC, then the total of reachable objects, minus
 *     the same before the first socket, divided by the sockets held), server and generator CPU over
 *     {@code idle.cpuSeconds}=10 s idle, a liveness probe, open fds. Its figure, {@code heap_per_socket_kb}, is the
 *     heap per socket at {@code idle.heapAt}=10000 sockets (a step of the list).</li>
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
 * {@code bench.serverJvmArgs}="…" for the server JVM (after the default -Xmx2g; Payara Micro: java options, Open
 * Liberty: {@code JVM_ARGS}, read after its jvm.options; WildFly: {@code JBOSS_JAVA_SIZING}, which standalone.conf
 * puts in front of its default JAVA_OPTS); {@code bench.jfr}=true records the server JVM with JFR the same way
 * ({@code target/bench/herald-<server>-<millis>.jfr}, written when the server stops; {@code src/bench/jfr-top.py}
 * summarises a recording's CPU samples);
 * {@code bench.jvmArgs}="-Xms1g -Xmx2g" for the generator.
 * Every line also carries the CPU seconds of the generator, Herald and Redis over the measured phase (from
 * /proc), {@code other_cpu_s} (everything else on the machine meanwhile) and the load average at start and end.
 * <p>
 * Authentication: {@link dev.herald.bench.TokenSource} signs a publisher token and one token per user with the
 * test key ({@code dev.herald.testing.TestTokens}), or sends none ({@code bench.auth=none}).
 * <h2>Servers without metrics</h2>
 * WildFly 39 serves no MicroProfile Metrics and the peer none at all: there the session counts and Herald's close
 * metrics are NaN (null in the JSON), and after closing its sockets a scenario waits a fixed 2 s instead of for the
 * server's count. Liveness is asked where each serves it (WildFly: its management port; the peer: {@code /health}).
 * jcmd is only ever run against a JVM (never the node pid: the attach handshake's SIGQUIT would end it).
 * <h2>The reference peer</h2>
 * It serves unicast, latency and broadcast as they are (a publish counts when answered 2xx: Herald answers 202, the
 * peer 200; frames are the posted JSON, without Herald's id and ts); it has no batch route, no resume, no metrics and
 * no /health/live. To run a scenario against a peer started by hand:
 * {@code ./mvnw -Pbench verify -Dbench.url=http://127.0.0.1:8001 -Dbench.auth=none -Dbench.peer=false -Dbench.redisPid=…}.
 */
package dev.herald.bench;
