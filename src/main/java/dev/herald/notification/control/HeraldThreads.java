package dev.herald.notification.control;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorDefinition;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedExecutors;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.concurrent.ManagedTask;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every thread Herald runs on: from Jakarta Concurrency, but for the senders (see {@link #senders()}). Herald's own
 * managed executor keeps the subscriber and catch-ups from competing with other applications for the server's
 * default pool.
 */
@ApplicationScoped
@ManagedExecutorDefinition(name = HeraldThreads.EXECUTOR, maxAsync = 16)
public class HeraldThreads {

    static final String EXECUTOR = "java:app/concurrent/herald";

    @Resource(lookup = EXECUTOR)
    ManagedExecutorService managed;

    @Resource
    ManagedScheduledExecutorService scheduler;

    private ExecutorService senders;

    /** Short tasks off the caller's thread: catch-ups after a resubscribe, closing sockets. */
    public Executor background() {
        return managed;
    }

    /** A task that holds its thread for the life of the application (the Redis subscriber): said so to the container. */
    public Executor longRunning() {
        return task -> managed.execute(ManagedExecutors.managedTask(task, Map.of(ManagedTask.LONGRUNNING_HINT, "true"), null));
    }

    /**
     * Where sessions' frames are sent from, so the subscriber thread only reads Redis and queues: it must
     * keep up with Redis, which drops a subscriber that falls 32 MB behind.
     * <p>
     * Plain daemon threads, on purpose: not the managed executor (it captures the caller's context on every task),
     * and not threads from a {@code ManagedThreadFactory} either: on Payara those carry a component invocation, and
     * every task the container starts from them (Tyrus schedules one per frame, see {@code TyrusIdleTimer}) sets up
     * and tears down that context, a quarter of a sender's time in a profile. A send needs none of it: Tyrus writes
     * the text as it is (no encoder, no CDI, no JNDI, no security context), and the completion only increments
     * metrics held by reference. The threads start with no inherited thread locals (Payara keeps its invocation
     * stack in an inheritable one) and the platform class loader as context loader: Payara scans the context
     * loader's services when it captures context for a task, which against the application's loader was a tenth
     * of the server's CPU. Named {@code herald-sender-N} for thread dumps; stopped in {@link #stopSenders()}.
     */
    public synchronized Executor senders() {
        if (senders == null) {
            AtomicInteger count = new AtomicInteger();
            senders = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), task -> {
                Thread thread = new Thread(null, task, "herald-sender-" + count.incrementAndGet(), 0, false);
                thread.setDaemon(true);
                thread.setContextClassLoader(ClassLoader.getPlatformClassLoader());
                return thread;
            });
        }
        return senders;
    }

    public ScheduledFuture<?> every(Duration period, Runnable task) {
        return scheduler.scheduleAtFixedRate(task, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Frames still queued once the senders stop go out from the thread that queues them (see Outbox). */
    @PreDestroy
    synchronized void stopSenders() {
        if (senders != null) {
            senders.shutdown();
        }
    }
}
