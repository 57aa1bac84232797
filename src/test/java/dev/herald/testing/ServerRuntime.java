package dev.herald.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Jakarta EE servers Herald's WAR is tested on, and how each one is laid out in a fresh directory, started
 * in the foreground on loopback ports with the WAR at context root {@code /}, and asked for its health. Herald's
 * own settings never go into these files: the node passes them as environment variables (MicroProfile Config).
 * Select one with {@code -Dherald.server=payara-micro|liberty|wildfly}; the runtimes' install directories come
 * from {@code herald.liberty.home} and {@code herald.wildfly.home} (the Maven profiles unpack them).
 */
public enum ServerRuntime {

    /**
     * {@code java -jar payara-micro.jar --deploy herald.war --contextroot /} with production's {@code payara-config}
     * files, as {@code ./mvnw -Prun} (the pom's {@code run} profile) and src/site/markdown/deployment.md run it.
     */
    PAYARA_MICRO("payara-micro", true) {
        @Override
        List<String> command(Path war, Ports ports, Path dir) {
            return List.of(java(), "-Xmx512m",
                    "-Dhazelcast.phone.home.enabled=false",
                    "-jar", Path.of("target", "payara-micro.jar").toString(),
                    "--deploy", war.toString(),
                    "--contextroot", "/",
                    "--port", String.valueOf(ports.http()),
                    "--nohazelcast",
                    "--disablephonehome",
                    "--rootdir", dir.toString(),
                    // listen on 127.0.0.1 only, keep-alive connections never closed after a request count, a fixed
                    // request thread pool; and the JVM system properties (jakarta.json.provider) production sets
                    "--prebootcommandfile", payaraConfig("pre-boot-commands-local.asadmin").toString(),
                    "--systemproperties", payaraConfig("system.properties").toString());
        }

        @Override
        List<String> withJvmOptions(List<String> command, List<String> options) {
            List<String> withOptions = new ArrayList<>(command);
            withOptions.addAll(command.indexOf("-jar"), options);
            return withOptions;
        }
    },

    /**
     * {@code bin/server run herald} (execs the server JVM) with the shipped {@code src/main/liberty/config/server.xml}
     * in a fresh user directory; host, port and WAR location go into its {@code bootstrap.properties}.
     */
    OPEN_LIBERTY("liberty", true) {
        @Override
        List<String> command(Path war, Ports ports, Path dir) throws IOException {
            Path server = Files.createDirectories(dir.resolve("servers").resolve("herald"));
            Files.copy(Path.of("src", "main", "liberty", "config", "server.xml"), server.resolve("server.xml"));
            Files.writeString(server.resolve("bootstrap.properties"), "http.host=127.0.0.1\nhttp.port=" + ports.http()
                    + "\nherald.war=" + war.toAbsolutePath() + "\n");
            Files.writeString(server.resolve("jvm.options"), "-Xmx512m\n");
            return List.of(home("herald.liberty.home").resolve("bin").resolve("server").toString(), "run", "herald");
        }

        @Override
        void environment(Map<String, String> environment, Path dir) {
            environment.put("WLP_USER_DIR", dir.toAbsolutePath().toString());
        }
    },

    /**
     * {@code bin/standalone.sh -c standalone-microprofile.xml} with a fresh copy of the distribution's
     * {@code standalone} directory as its base directory and the WAR copied to {@code deployments/ROOT.war}
     * (a WAR named ROOT is served at {@code /}). No MicroProfile Metrics; health is on the management port.
     */
    WILDFLY("wildfly", false) {
        @Override
        List<String> command(Path war, Ports ports, Path dir) throws IOException {
            Path home = home("herald.wildfly.home");
            copyTree(home.resolve("standalone"), dir);
            Files.copy(war, dir.resolve("deployments").resolve("ROOT.war"), StandardCopyOption.REPLACE_EXISTING);
            return List.of(home.resolve("bin").resolve("standalone.sh").toString(),
                    "-c", "standalone-microprofile.xml",
                    "-b", "127.0.0.1", "-bmanagement", "127.0.0.1",
                    "-Djboss.server.base.dir=" + dir.toAbsolutePath(),
                    "-Djboss.http.port=" + ports.http(),
                    "-Djboss.https.port=" + ports.https(),
                    "-Djboss.management.http.port=" + ports.management(),
                    "-Djboss.management.https.port=" + ports.managementHttps());
        }

        @Override
        void environment(Map<String, String> environment, Path dir) {
            // the script relays SIGTERM to the server JVM it starts (otherwise it would outlive a stopped script)
            environment.put("LAUNCH_JBOSS_IN_BACKGROUND", "true");
        }

        @Override
        URI health(Ports ports, String path) {
            return URI.create("http://127.0.0.1:" + ports.management() + "/" + path);
        }

        @Override
        Path deployedWar(Path war, Path dir) {
            return dir.resolve("deployments").resolve("ROOT.war");
        }
    };

    /** The loopback ports one node listens on; only WildFly uses more than {@code http}. */
    public record Ports(int http, int https, int management, int managementHttps) {
        /** Below the ephemeral range, like Redis' port: a node restarted on them never finds one taken. */
        static Ports free() {
            try {
                return new Ports(RedisServer.freePort(), RedisServer.freePort(), RedisServer.freePort(), RedisServer.freePort());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final String id;
    private final boolean metrics;

    ServerRuntime(String id, boolean metrics) {
        this.id = id;
        this.metrics = metrics;
    }

    /** The server {@code -Dherald.server} names (Payara Micro when unset). */
    public static ServerRuntime selected() {
        String wanted = System.getProperty("herald.server", PAYARA_MICRO.id).toLowerCase(Locale.ROOT);
        return Stream.of(values()).filter(server -> server.id.equals(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("herald.server=" + wanted + ": not one of payara-micro, liberty, wildfly"));
    }

    public String id() {
        return id;
    }

    /** Whether the server serves MicroProfile Metrics at {@code /metrics} (WildFly 39 ships none). */
    public boolean hasMetrics() {
        return metrics;
    }

    /** Lays out {@code dir} (empty, fresh) and returns the command that runs the server in the foreground. */
    abstract List<String> command(Path war, Ports ports, Path dir) throws IOException;

    /** The command with more options for the server's JVM, after the runtime's own (only Payara Micro's runs java itself). */
    List<String> withJvmOptions(List<String> command, List<String> options) {
        if (!options.isEmpty()) {
            throw new UnsupportedOperationException("JVM options for " + id + " are not supported yet");
        }
        return command;
    }

    /** Variables the launcher itself needs (Herald's settings are added by the node). */
    void environment(Map<String, String> environment, Path dir) {
    }

    /** MicroProfile Health, e.g. {@code health/ready}: at the server root, or WildFly's management interface. */
    URI health(Ports ports, String path) {
        return URI.create("http://127.0.0.1:" + ports.http() + "/" + path);
    }

    /** The file the server deploys: the build's WAR itself, or WildFly's copy of it. */
    Path deployedWar(Path war, Path dir) {
        return war;
    }

    /** A file of {@code payara-config/} (the tests run in the project directory); a missing one is a broken checkout. */
    private static Path payaraConfig(String file) {
        Path path = Path.of("payara-config", file);
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException(path.toAbsolutePath() + " is missing: Payara Micro must run with production's configuration");
        }
        return path;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Path home(String property) {
        String home = System.getProperty(property);
        if (home == null || !Files.isDirectory(Path.of(home))) {
            throw new IllegalStateException(property + "=" + home + " is not an installed server: run with the Maven "
                    + "profile that unpacks it (./mvnw verify -Pliberty,wildfly)");
        }
        return Path.of(home);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
