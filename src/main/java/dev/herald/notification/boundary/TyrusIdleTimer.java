package dev.herald.notification.boundary;

import jakarta.websocket.Session;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Payara only: keeps Tyrus 2.1.5 from scheduling a task that does nothing for every frame a session sends or
 * receives.
 * <p>
 * Tyrus 2.1.5 calls {@code TyrusSession.restartIdleTimeoutExecutor()} on every send ({@code TyrusRemoteEndpoint}
 * lines 205-244) and every message received ({@code TyrusEndpointWrapper} 805-1211). That cancels the previous task
 * and schedules a new {@code IdleTimeoutCommand} on the session's {@code service} field (TyrusSession line 518-519),
 * with the idle timeout as delay, even when there is none: the task then runs at once and does nothing
 * ({@code IdleTimeoutCommand.run} checks {@code getMaxIdleTimeout() > 0}, line 815). {@code service} is the
 * container's {@code java:comp/DefaultManagedScheduledExecutorService} ({@code BaseContainer} 171-179), and Payara
 * captures and restores the caller's context for each of those tasks: about a quarter of a sender's time, and an
 * eighth of all CPU samples running the empty tasks. No property turns it off (upstream 1.22 skips negative
 * timeouts; 2.1.5 does not).
 * <p>
 * Herald never sets an idle timeout on its sessions ({@link dev.herald.notification.control.SessionSweep} checks
 * idleness itself), so for each session whose timeout is 0 this replaces {@code service} with a view of the same
 * executor that drops exactly those tasks: an {@code IdleTimeoutCommand} scheduled with a delay of 0 or less. If the
 * timeout is ever set, Tyrus schedules again with the new, positive delay, which goes through unchanged; heartbeats
 * and everything else go through unchanged too. It applies only to the Tyrus versions it was checked against
 * ({@link #CHECKED}) and only when their classes look as expected ({@link #hookFor}); otherwise it does nothing and
 * says so once. {@code TyrusIdleTimerIT} fails when the Tyrus inside the Payara Micro the build uses is not one it
 * applies to. Open Liberty and WildFly have their own WebSocket implementations: nothing happens there.
 */
final class TyrusIdleTimer {

    private static final System.Logger LOG = System.getLogger(TyrusIdleTimer.class.getName());

    static final String SESSION_CLASS = "org.glassfish.tyrus.core.TyrusSession";
    static final String COMMAND_CLASS = SESSION_CLASS + "$IdleTimeoutCommand";
    static final String VERSION_FILE = "/META-INF/maven/org.glassfish.tyrus/tyrus-core/pom.properties";
    /** Versions of tyrus-core whose TyrusSession was read line by line: upstream 2.1.5 and Payara 6.2025.10's build of it. */
    static final Set<String> CHECKED = Set.of("2.1.5", "2.1.5.payara-p2");

    /** What the workaround uses of TyrusSession: the scheduler field and the class of the idle task. */
    record Hook(Field service, Class<?> command) {
    }

    /** The hook for the one TyrusSession class seen, or null once it was found not to apply. */
    private static volatile Hook hook;
    private static volatile Class<?> inspected;
    /** Shared by sessions of one container (they all have its one scheduler): nothing is allocated per session. */
    private static volatile SkipNoOpIdleTasks view;

    private TyrusIdleTimer() {
    }

    /** Applies the workaround to the session if it is a Tyrus session of a checked version; never throws. */
    static void apply(Session session) {
        Class<?> type = session.getClass();
        if (!type.getName().equals(SESSION_CLASS) || session.getMaxIdleTimeout() > 0) {
            return;
        }
        Hook found = hook(type);
        if (found == null) {
            return;
        }
        try {
            ScheduledExecutorService current = (ScheduledExecutorService) found.service().get(session);
            if (current == null || current instanceof SkipNoOpIdleTasks) {
                return;
            }
            SkipNoOpIdleTasks shared = view;
            if (shared == null || shared.delegate != current) {
                shared = new SkipNoOpIdleTasks(current, found.command());
                view = shared;
            }
            found.service().set(session, shared);
        } catch (ReflectiveOperationException | RuntimeException e) {
            hook = null;
            LOG.log(Level.WARNING, "Tyrus' per-frame idle task could not be skipped; sessions work, but cost more CPU per frame", e);
        }
    }

    private static Hook hook(Class<?> type) {
        if (inspected == type) {
            return hook;
        }
        synchronized (TyrusIdleTimer.class) {
            if (inspected != type) {
                String version = version(type);
                hook = CHECKED.contains(version) ? hookFor(type) : null;
                inspected = type;
                if (hook != null) {
                    LOG.log(Level.INFO, "Tyrus {0}: its no-op idle-timeout task per frame is skipped (sessions have no idle timeout)", version);
                } else {
                    LOG.log(Level.WARNING, "Tyrus {0} is not a version Herald''s idle-task workaround was checked against (or its classes "
                            + "changed): every frame schedules a no-op task on the container''s scheduler, at some CPU cost", version);
                }
            }
            return hook;
        }
    }

    /** The version in tyrus-core's Maven metadata, next to the class; "unknown" if it cannot be read. */
    static String version(Class<?> sessionClass) {
        try (InputStream in = sessionClass.getResourceAsStream(VERSION_FILE)) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * The hook if {@code sessionClass} still has what the workaround relies on (a non-final, non-static
     * {@code ScheduledExecutorService service} field, a {@code Runnable} {@code IdleTimeoutCommand}, the
     * {@code restartIdleTimeoutExecutor()} method) and lets it be used; else null.
     */
    static Hook hookFor(Class<?> sessionClass) {
        try {
            Field service = sessionClass.getDeclaredField("service");
            int modifiers = service.getModifiers();
            if (service.getType() != ScheduledExecutorService.class || Modifier.isFinal(modifiers) || Modifier.isStatic(modifiers)) {
                return null;
            }
            Class<?> command = Class.forName(COMMAND_CLASS, false, sessionClass.getClassLoader());
            Method restart = sessionClass.getDeclaredMethod("restartIdleTimeoutExecutor");
            if (command.getEnclosingClass() != sessionClass || !Runnable.class.isAssignableFrom(command)
                    || restart.getParameterCount() != 0) {
                return null;
            }
            service.setAccessible(true);
            return new Hook(service, command);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** The container's scheduler, but for idle tasks with no delay: those are answered with a future that is done. */
    static final class SkipNoOpIdleTasks implements ScheduledExecutorService {

        final ScheduledExecutorService delegate;
        private final Class<?> idleTask;

        SkipNoOpIdleTasks(ScheduledExecutorService delegate, Class<?> idleTask) {
            this.delegate = delegate;
            this.idleTask = idleTask;
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            if (delay <= 0 && command.getClass() == idleTask) {
                return Skipped.INSTANCE;
            }
            return delegate.schedule(command, delay, unit);
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
            return delegate.schedule(callable, delay, unit);
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            return delegate.scheduleAtFixedRate(command, initialDelay, period, unit);
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
            return delegate.scheduleWithFixedDelay(command, initialDelay, delay, unit);
        }

        @Override
        public void shutdown() {
            delegate.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return delegate.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return delegate.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return delegate.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return delegate.awaitTermination(timeout, unit);
        }

        @Override
        public <T> Future<T> submit(Callable<T> task) {
            return delegate.submit(task);
        }

        @Override
        public <T> Future<T> submit(Runnable task, T result) {
            return delegate.submit(task, result);
        }

        @Override
        public Future<?> submit(Runnable task) {
            return delegate.submit(task);
        }

        @Override
        public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) throws InterruptedException {
            return delegate.invokeAll(tasks);
        }

        @Override
        public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
                throws InterruptedException {
            return delegate.invokeAll(tasks, timeout, unit);
        }

        @Override
        public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws InterruptedException, ExecutionException {
            return delegate.invokeAny(tasks);
        }

        @Override
        public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
                throws InterruptedException, ExecutionException, TimeoutException {
            return delegate.invokeAny(tasks, timeout, unit);
        }

        @Override
        public void execute(Runnable command) {
            delegate.execute(command);
        }
    }

    /** The idle task that was never scheduled: done, nothing to cancel. */
    private static final class Skipped implements ScheduledFuture<Object> {

        static final Skipped INSTANCE = new Skipped();

        @Override
        public long getDelay(TimeUnit unit) {
            return 0;
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(0, other.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return false;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public boolean isDone() {
            return true;
        }

        @Override
        public Object get() {
            return null;
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            return null;
        }
    }
}
