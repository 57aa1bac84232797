package dev.herald.notification.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.websocket.Session;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TyrusIdleTimer} against the very Tyrus inside the Payara Micro the build runs on ({@code target/payara-micro.jar},
 * {@code MICRO-INF/runtime/tyrus-core.jar}). No server: the classes are loaded on their own and a {@code TyrusSession}
 * is made without its constructor, so {@code restartIdleTimeoutExecutor()}, the method Tyrus calls for every frame,
 * runs as the server runs it. Fails when a Payara update brings a Tyrus the workaround no longer applies to (another
 * version, a renamed field, the idle task no longer a class of its own, a different delay): then read that Tyrus'
 * {@code TyrusSession} again and update or drop the workaround.
 */
class TyrusIdleTimerIT {

    private static final Path PAYARA_MICRO = Path.of(System.getProperty("herald.payara-micro", "target/payara-micro.jar"));

    @TempDir
    static Path dir;
    private static URLClassLoader payaraTyrus;
    private static Class<?> sessionClass;

    @BeforeAll
    static void loadPayarasTyrus() throws Exception {
        assertTrue(Files.isRegularFile(PAYARA_MICRO), PAYARA_MICRO + " (made by ./mvnw package)");
        Path core = extract("MICRO-INF/runtime/tyrus-core.jar");
        Path spi = extract("MICRO-INF/runtime/tyrus-spi.jar");
        payaraTyrus = new TyrusFirst(new URL[] {core.toUri().toURL(), spi.toUri().toURL()}, TyrusIdleTimerIT.class.getClassLoader());
        sessionClass = payaraTyrus.loadClass(TyrusIdleTimer.SESSION_CLASS);
        assertSame(payaraTyrus, sessionClass.getClassLoader(), "TyrusSession comes from Payara Micro's jar");
    }

    @AfterAll
    static void close() throws IOException {
        if (payaraTyrus != null) {
            payaraTyrus.close();
        }
    }

    @Test
    void payaraMicrosTyrusIsAVersionTheWorkaroundWasCheckedAgainst() {
        String version = TyrusIdleTimer.version(sessionClass);
        assertTrue(TyrusIdleTimer.CHECKED.contains(version),
                () -> "Payara Micro now ships Tyrus " + version + "; TyrusIdleTimer was checked against " + TyrusIdleTimer.CHECKED);
        assertNotNull(TyrusIdleTimer.hookFor(sessionClass), "TyrusSession still has the field, method and task class the workaround uses");
    }

    @Test
    void onASessionWithoutIdleTimeoutTheNoOpIdleTaskOfEveryFrameIsNeverScheduledButARealTimeoutStillIs() throws Exception {
        Object session = newSession();
        List<Object[]> scheduled = Collections.synchronizedList(new ArrayList<>());
        ScheduledExecutorService container = recording(scheduled);
        field("service").set(session, container);

        TyrusIdleTimer.apply((Session) session);
        assertTrue(field("service").get(session) instanceof TyrusIdleTimer.SkipNoOpIdleTasks, "the session's scheduler was replaced");
        for (int frame = 0; frame < 3; frame++) {
            restartIdleTimeoutExecutor(session);
        }
        assertEquals(List.of(), scheduled, "no idle task scheduled for three frames without an idle timeout");

        field("maxIdleTimeout").set(session, 5000L);
        restartIdleTimeoutExecutor(session);
        assertEquals(1, scheduled.size(), "with a timeout set, Tyrus' idle task is scheduled as before");
        Object[] call = scheduled.get(0);
        assertEquals(TyrusIdleTimer.COMMAND_CLASS, call[0].getClass().getName());
        assertEquals(5000L, call[1]);
        assertEquals(TimeUnit.MILLISECONDS, call[2]);
    }

    /** A TyrusSession with only what the idle timer touches: its lock, no timeout, no future yet. */
    private static Object newSession() throws Exception {
        Field theUnsafe = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
        theUnsafe.setAccessible(true);
        Object unsafe = theUnsafe.get(null);
        Object session = unsafe.getClass().getMethod("allocateInstance", Class.class).invoke(unsafe, sessionClass);
        field("idleTimeoutLock").set(session, new Object());
        return session;
    }

    private static void restartIdleTimeoutExecutor(Object session) throws Exception {
        Method restart = sessionClass.getDeclaredMethod("restartIdleTimeoutExecutor");
        restart.setAccessible(true);
        restart.invoke(session);
    }

    private static Field field(String name) throws NoSuchFieldException {
        Field field = sessionClass.getDeclaredField(name);
        field.setAccessible(true);
        return field;
    }

    /** Records each {@code schedule(Runnable, long, TimeUnit)} call's arguments; answers every call with null. */
    private static ScheduledExecutorService recording(List<Object[]> scheduled) {
        return (ScheduledExecutorService) Proxy.newProxyInstance(TyrusIdleTimerIT.class.getClassLoader(),
                new Class<?>[] {ScheduledExecutorService.class}, (proxy, method, args) -> {
                    if (method.getName().equals("schedule")) {
                        scheduled.add(args);
                        return null;
                    }
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("equals") ? proxy == args[0] : method.getName().equals("hashCode")
                                ? System.identityHashCode(proxy) : "recording scheduler";
                    }
                    throw new AssertionError("unexpected call to the container's scheduler: " + method);
                });
    }

    private static Path extract(String entryName) {
        try (ZipFile zip = new ZipFile(PAYARA_MICRO.toFile())) {
            ZipEntry entry = zip.getEntry(entryName);
            assertNotNull(entry, entryName + " in " + PAYARA_MICRO);
            Path target = dir.resolve(Path.of(entryName).getFileName());
            try (InputStream in = zip.getInputStream(entry)) {
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Tyrus' classes from Payara's jars, everything else (jakarta.websocket, the JDK) from the test's class path. */
    private static final class TyrusFirst extends URLClassLoader {

        TyrusFirst(URL[] urls, ClassLoader parent) {
            super(urls, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("org.glassfish.tyrus.")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> loaded = findLoadedClass(name);
                if (loaded == null) {
                    loaded = findClass(name);
                }
                if (resolve) {
                    resolveClass(loaded);
                }
                return loaded;
            }
        }
    }
}
