package dev.herald.notification.control;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorDefinition;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedExecutors;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.concurrent.ManagedTask;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Every thread Herald runs on, all from Jakarta Concurrency. Herald's own managed executor keeps the subscriber
 * and catch-ups from competing with other applications for the server's default pool.
 */
@ApplicationScoped
@ManagedExecutorDefinition(name = HeraldThreads.EXECUTOR, maxAsync = 16)
public class HeraldThreads {

    static final String EXECUTOR = "java:app/concurrent/herald";

    @Resource(lookup = EXECUTOR)
    ManagedExecutorService managed;

    @Resource
    ManagedScheduledExecutorService scheduler;

    @Resource
    ManagedThreadFactory threadFactory;

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
     * keep up with Redis, which drops a subscriber that falls 32 MB behind. A plain pool on managed threads,
     * not the managed executor: that captures the caller's context on every task, a cost per frame here.
     */
    public synchronized Executor senders() {
        if (senders == null) {
            senders = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), threadFactory);
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
