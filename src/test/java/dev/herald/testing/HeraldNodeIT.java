package dev.herald.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The harness itself: what the other suites rely on when a node starts. */
class HeraldNodeIT {

    /** Payara Micro exits (with status 0) when its port is in use; a first boot must then move, not fail the suite. */
    @Test
    void aNodeWhosePortWasTakenBeforeItsFirstBootBootsOnAnotherPort() throws IOException {
        try (RedisServer redis = RedisServer.start();
             HeraldNode node = HeraldNode.create("port-taken", redis.uri(), Map.of())) {
            int taken = node.port();
            try (ServerSocket squatter = new ServerSocket(taken, 50, InetAddress.getLoopbackAddress())) {
                node.start();
                assertNotEquals(taken, node.port());
                assertEquals(200, node.readyStatus());
            }
        }
    }

    /** Tests run the JVM configuration production runs: every property of payara-config/system.properties is set. */
    @Test
    void aPayaraMicroNodeRunsWithTheSystemPropertiesProductionUses() throws Exception {
        Properties wanted = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("payara-config", "system.properties"))) {
            wanted.load(in);
        }
        assertFalse(wanted.isEmpty(), "payara-config/system.properties sets nothing");
        try (RedisServer redis = RedisServer.start();
             HeraldNode node = HeraldNode.create("system-properties", redis.uri(), Map.of())) {
            node.start();
            Properties running = systemProperties(node.pid());
            wanted.forEach((key, value) -> assertEquals(value, running.get(key),
                    () -> key + " in the server JVM (pid " + node.pid() + "); see " + node.log()));
        }
    }

    /** A running JVM's system properties, as the JDK's {@code jcmd <pid> VM.system_properties} prints them. */
    private static Properties systemProperties(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process process = new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "VM.system_properties")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "jcmd finished");
        assertEquals(0, process.exitValue(), () -> "jcmd " + pid + " VM.system_properties: " + output);
        Properties properties = new Properties();
        properties.load(new StringReader(output));
        return properties;
    }
}
