package dev.herald.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
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
}
