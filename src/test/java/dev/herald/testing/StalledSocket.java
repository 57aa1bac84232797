package dev.herald.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client that stops reading right after the handshake, as a frozen tab or a stuck mobile client does:
 * a plain {@link Socket} with a 4 KB receive buffer (so the kernel does not grow it and swallow megabytes), the
 * upgrade request, one Ping answered by a Pong (so, as with {@link TestSocket}, the server has run its
 * {@code @OnOpen}), then nothing. What the server sends piles up in its own buffers until it gives up on the session.
 */
public final class StalledSocket implements AutoCloseable {

    private final Socket socket;

    private StalledSocket(Socket socket) {
        this.socket = socket;
    }

    /** Connects to {@code ws://host:port/path?query}, upgrades, and returns once the server answered a Ping. */
    public static StalledSocket open(URI ws) {
        Socket socket = new Socket();
        try {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress(ws.getHost(), ws.getPort()), (int) TestSocket.CONNECT_TIMEOUT.toMillis());
            socket.setSoTimeout((int) TestSocket.CONNECT_TIMEOUT.toMillis());
            byte[] nonce = new byte[16];
            ThreadLocalRandom.current().nextBytes(nonce);
            String request = "GET " + ws.getRawPath() + (ws.getRawQuery() == null ? "" : "?" + ws.getRawQuery()) + " HTTP/1.1\r\n"
                    + "Host: " + ws.getHost() + ":" + ws.getPort() + "\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 101"), () -> "upgrade of " + ws.getPath() + " answered " + head);
            out.write(new byte[] {(byte) 0x89, (byte) 0x80, 1, 2, 3, 4}); // a masked Ping without data
            out.flush();
            assertEquals(0x8A, in.read(), "a Pong answers the Ping");
            assertEquals(0, in.read(), "the Pong carries no data");
            return new StalledSocket(socket);
        } catch (IOException e) {
            close(socket);
            throw new UncheckedIOException(e);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * Starts reading again, discarding everything, and returns true once the server has ended the connection (end of
     * stream or reset) within {@code timeout}. Reading lets buffered frames through: call it only once the server is
     * known to have closed the session.
     */
    public boolean drainUntilClosed(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        byte[] buffer = new byte[65536];
        try {
            socket.setSoTimeout(200);
            InputStream in = socket.getInputStream();
            while (Instant.now().isBefore(deadline)) {
                try {
                    if (in.read(buffer) < 0) {
                        return true;
                    }
                } catch (SocketTimeoutException e) {
                    // nothing yet: the deadline decides
                }
            }
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    @Override
    public void close() {
        close(socket);
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
