package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When a publish fails before Redis could have received it, the answer is 503 "nothing was published, retry"
 * ({@link BrokerUnavailableException}), never 504 "outcome unknown": decided by where the failure happened.
 * (A publish that reached a paused Redis is the 504 case: {@code RedisBrokerIT}.) Loopback sockets in this JVM
 * stand in for the two ways there is no Redis to talk to.
 */
class PublishFailureTest {

    private static final Stream USER = Stream.user("42");

    @Test
    void aPublishToAPortNobodyListensOnIsUnavailableNotUnknown() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        assertUnavailable(URI.create("redis://127.0.0.1:" + closedPort));
    }

    @Test
    void aPublishToAServerThatNeverAnswersIsUnavailableNotUnknown() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept()); // accepted and never answered: the borrow-time PING times out
                    }
                } catch (IOException closed) {
                    accepted.forEach(socket -> {
                        try {
                            socket.close();
                        } catch (IOException ignored) {
                            // closing a socket nobody reads
                        }
                    });
                }
            }, "silent-redis");
            acceptor.start();
            assertUnavailable(URI.create("redis://127.0.0.1:" + silent.getLocalPort()));
        }
    }

    private static void assertUnavailable(URI uri) {
        try (RedisBroker broker = new RedisBroker(new RedisClients(uri, uri, null), 10, Runnable::run)) {
            BrokerUnavailableException failure = assertThrows(BrokerUnavailableException.class,
                    () -> broker.publish(USER, Payload.parse("{\"n\":1}")));
            assertEquals(BrokerUnavailableException.class, failure.getClass(),
                    "the script was never sent, so a retry cannot deliver twice: " + failure);
        }
    }
}
