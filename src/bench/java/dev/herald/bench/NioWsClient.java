package dev.herald.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small WebSocket client (RFC 6455, client side, ws:// only) on plain NIO, kept for what the JDK's client
 * ({@link JdkWsClient}, the default) cannot do within the generator's budget. Measured on this 2-core box
 * (2026-12-01, 5,000 idle sockets, {@code -Dbench.scenarios=broadcast,idle -Dbench.idle.steps=1000,5000}):
 * <ul>
 * <li>idle scenario: the generator's heap after GC grows by 1.7 KB per idle socket here and by 64 KB with
 *     java.net.http, whose 19,000 sockets would hold ~1.2 GB of the generator's 2 GB heap; connecting costs
 *     2.0 ms of generator CPU per socket here (mostly signing its token) and 4.7 ms there. It also binds each
 *     socket to its own source address (several 127.0.0.x against the ephemeral-port limit), which
 *     java.net.http cannot. So the idle scenario uses it whenever {@code bench.idle.sources} &gt; 1.</li>
 * <li>broadcast to 2,000 sockets: 11 µs of generator CPU per received frame here, 17 µs with java.net.http;
 *     at 5,000 sockets and 10/s that is 0.57 against 0.85 of the box's 2 cores taken from the server under
 *     test. {@code -Dbench.client=nio} selects it for every scenario.</li>
 * </ul>
 * One selector thread per loop serves thousands of sockets. Pausing a socket removes it from the read set, so
 * unread frames pile up in the kernel and then in the server's queue: exactly a client that stopped reading.
 */
final class NioWsClient implements Ws.Client {

    private final Loop[] loops;
    private final AtomicInteger next = new AtomicInteger();

    NioWsClient(int threads) {
        loops = new Loop[Math.max(1, threads)];
        for (int i = 0; i < loops.length; i++) {
            loops[i] = new Loop("nio-ws-" + i);
        }
    }

    @Override
    public String name() {
        return "nio";
    }

    @Override
    public CompletableFuture<Ws.Conn> connect(URI uri, Map<String, String> headers, InetAddress local, Ws.Handler handler) {
        Loop loop = loops[Math.floorMod(next.getAndIncrement(), loops.length)];
        Conn conn = new Conn(loop, handler);
        int port = uri.getPort() > 0 ? uri.getPort() : 80;
        String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        StringBuilder request = new StringBuilder()
                .append("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(uri.getHost()).append(':').append(port).append("\r\n")
                .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(key)).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n");
        headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
        request.append("\r\n");
        byte[] handshake = request.toString().getBytes(StandardCharsets.US_ASCII);
        InetSocketAddress remote = new InetSocketAddress(uri.getHost(), port);
        loop.submit(() -> conn.start(remote, local, handshake));
        return conn.ready.thenApply(x -> (Ws.Conn) conn);
    }

    @Override
    public void close() {
        for (Loop loop : loops) {
            loop.stop();
        }
    }

    /** One selector and its thread; every socket operation runs on it. */
    private static final class Loop implements Runnable {
        final Selector selector;
        final Thread thread;
        final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        final ByteBuffer readBuffer = ByteBuffer.allocate(256 * 1024);
        final Ascii view = new Ascii();
        volatile boolean running = true;

        Loop(String name) {
            try {
                selector = Selector.open();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            thread = new Thread(this, name);
            thread.setDaemon(true);
            thread.start();
        }

        void submit(Runnable task) {
            tasks.add(task);
            selector.wakeup();
        }

        void stop() {
            running = false;
            selector.wakeup();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof Conn conn) {
                    conn.terminate(1006, "client stopped");
                }
            }
            try {
                selector.close();
            } catch (IOException e) {
                // closing anyway
            }
        }

        @Override
        public void run() {
            while (running) {
                try {
                    selector.select(100);
                } catch (IOException e) {
                    return;
                }
                for (Runnable task; (task = tasks.poll()) != null; ) {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        e.printStackTrace();
                    }
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    Conn conn = (Conn) key.attachment();
                    try {
                        if (!key.isValid()) {
                            continue;
                        }
                        if (key.isConnectable()) {
                            conn.finishConnect();
                        }
                        if (key.isValid() && key.isWritable()) {
                            conn.flush();
                        }
                        if (key.isValid() && key.isReadable()) {
                            conn.read();
                        }
                    } catch (IOException | RuntimeException e) {
                        conn.terminate(1006, String.valueOf(e));
                    }
                }
            }
        }
    }

    private static final int OPEN_PING = 0, CONNECTING = 1, HANDSHAKE = 2, OPEN = 3, CLOSED = 4;

    private static final class Conn implements Ws.Conn {
        final Loop loop;
        final Ws.Handler handler;
        final CompletableFuture<Void> ready = new CompletableFuture<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        SocketChannel channel;
        SelectionKey key;
        int state = CONNECTING;
        byte[] handshake;
        ByteBuffer pending; // unparsed input, in write mode; null when there is none
        ArrayDeque<ByteBuffer> out; // unsent output
        byte[] fragments;
        int fragmentLength;
        boolean paused;
        boolean closeSent;

        Conn(Loop loop, Ws.Handler handler) {
            this.loop = loop;
            this.handler = handler;
        }

        void start(InetSocketAddress remote, InetAddress local, byte[] handshake) {
            this.handshake = handshake;
            try {
                channel = SocketChannel.open();
                channel.configureBlocking(false);
                if (local != null) {
                    channel.bind(new InetSocketAddress(local, 0));
                }
                if (channel.connect(remote)) {
                    key = channel.register(loop.selector, 0, this);
                    finishConnect();
                } else {
                    key = channel.register(loop.selector, SelectionKey.OP_CONNECT, this);
                }
            } catch (IOException | RuntimeException e) {
                terminate(1006, "connect: " + e);
            }
        }

        void finishConnect() throws IOException {
            if (!channel.finishConnect()) {
                return;
            }
            state = HANDSHAKE;
            key.interestOps(SelectionKey.OP_READ);
            write(ByteBuffer.wrap(handshake));
            handshake = null;
        }

        void write(ByteBuffer data) throws IOException {
            if (out == null || out.isEmpty()) {
                channel.write(data);
                if (!data.hasRemaining()) {
                    return;
                }
            }
            if (out == null) {
                out = new ArrayDeque<>();
            }
            out.add(data);
            key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
        }

        void flush() throws IOException {
            while (out != null && !out.isEmpty()) {
                ByteBuffer head = out.peek();
                channel.write(head);
                if (head.hasRemaining()) {
                    return;
                }
                out.poll();
            }
            key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
            if (state == CLOSED) {
                channel.close();
            }
        }

        void read() throws IOException {
            ByteBuffer into;
            if (pending != null) {
                if (!pending.hasRemaining()) {
                    ByteBuffer bigger = ByteBuffer.allocate(pending.capacity() * 2);
                    pending.flip();
                    bigger.put(pending);
                    pending = bigger;
                }
                into = pending;
            } else {
                into = loop.readBuffer;
                into.clear();
            }
            int n = channel.read(into);
            if (n < 0) {
                terminate(1006, "connection ended");
                return;
            }
            into.flip();
            if (state == HANDSHAKE && !handshake(into)) {
                keep(into);
                return;
            }
            frames(into);
            if (state != CLOSED) {
                keep(into);
            }
        }

        /** Keeps what was not parsed yet (into is in read mode). */
        private void keep(ByteBuffer into) {
            if (!into.hasRemaining()) {
                pending = null;
            } else if (into == pending) {
                pending.compact();
            } else {
                ByteBuffer copy = ByteBuffer.allocate(Math.max(4096, into.remaining() * 2));
                copy.put(into);
                pending = copy;
            }
        }

        /** Consumes the HTTP response; false while it is incomplete. */
        private boolean handshake(ByteBuffer in) throws IOException {
            int end = -1;
            for (int i = in.position(); i + 3 < in.limit(); i++) {
                if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r' && in.get(i + 3) == '\n') {
                    end = i + 4;
                    break;
                }
            }
            if (end < 0) {
                if (in.remaining() > 16384) {
                    terminate(1006, "handshake response too long");
                }
                return false;
            }
            byte[] head = new byte[end - in.position()];
            in.get(head);
            String response = new String(head, StandardCharsets.ISO_8859_1);
            if (!response.startsWith("HTTP/1.1 101")) {
                String status = response.lines().findFirst().orElse("");
                ready.completeExceptionally(new IOException("handshake refused: " + status));
                terminate(1006, "handshake refused: " + status);
                return false;
            }
            state = OPEN_PING;
            sendControl(0x9, new byte[] {'r'});
            return true;
        }

        private void frames(ByteBuffer in) throws IOException {
            while (state != CLOSED && in.remaining() >= 2) {
                int p = in.position();
                int b0 = in.get(p) & 0xff;
                int b1 = in.get(p + 1) & 0xff;
                long length = b1 & 0x7f;
                int header = 2;
                if (length == 126) {
                    if (in.remaining() < 4) {
                        return;
                    }
                    length = in.getShort(p + 2) & 0xffff;
                    header = 4;
                } else if (length == 127) {
                    if (in.remaining() < 10) {
                        return;
                    }
                    length = in.getLong(p + 2);
                    header = 10;
                }
                boolean masked = (b1 & 0x80) != 0;
                if (masked) {
                    header += 4;
                }
                if (length > 64L * 1024 * 1024) {
                    terminate(1006, "frame too large: " + length);
                    return;
                }
                if (in.remaining() < header + length) {
                    return;
                }
                int start = p + header;
                int len = (int) length;
                byte[] array = in.array();
                int offset = in.arrayOffset() + start;
                if (masked) {
                    for (int i = 0; i < len; i++) {
                        array[offset + i] ^= in.get(p + header - 4 + (i & 3));
                    }
                }
                in.position(start + len);
                handle(b0 & 0x80, b0 & 0x0f, array, offset, len);
            }
        }

        private void handle(int fin, int opcode, byte[] array, int offset, int len) throws IOException {
            switch (opcode) {
                case 0x1, 0x2 -> {
                    if (fin != 0) {
                        if (opcode == 0x1) {
                            handler.onText(this, loop.view.set(array, offset, len));
                        }
                    } else {
                        fragments = new byte[Math.max(len * 2, 1024)];
                        System.arraycopy(array, offset, fragments, 0, len);
                        fragmentLength = len;
                    }
                }
                case 0x0 -> {
                    if (fragments == null) {
                        return;
                    }
                    if (fragmentLength + len > fragments.length) {
                        fragments = java.util.Arrays.copyOf(fragments, (fragmentLength + len) * 2);
                    }
                    System.arraycopy(array, offset, fragments, fragmentLength, len);
                    fragmentLength += len;
                    if (fin != 0) {
                        handler.onText(this, loop.view.set(fragments, 0, fragmentLength));
                        fragments = null;
                    }
                }
                case 0x8 -> {
                    int code = len >= 2 ? ((array[offset] & 0xff) << 8) | (array[offset + 1] & 0xff) : 1005;
                    String reason = len > 2 ? new String(array, offset + 2, len - 2, StandardCharsets.UTF_8) : "";
                    if (!closeSent) {
                        byte[] echo = new byte[Math.min(len, 2)];
                        System.arraycopy(array, offset, echo, 0, echo.length);
                        sendControl(0x8, echo);
                        closeSent = true;
                    }
                    terminate(code, reason);
                }
                case 0x9 -> sendControl(0xA, java.util.Arrays.copyOfRange(array, offset, offset + len));
                case 0xA -> {
                    if (state == OPEN_PING) {
                        state = OPEN;
                        ready.complete(null);
                    }
                }
                default -> {
                }
            }
        }

        /** A masked control frame (client frames must be masked). */
        private void sendControl(int opcode, byte[] payload) throws IOException {
            ByteBuffer frame = ByteBuffer.allocate(6 + payload.length);
            int mask = ThreadLocalRandom.current().nextInt();
            frame.put((byte) (0x80 | opcode)).put((byte) (0x80 | payload.length)).putInt(mask);
            for (int i = 0; i < payload.length; i++) {
                frame.put((byte) (payload[i] ^ (mask >>> (8 * (3 - (i & 3))))));
            }
            frame.flip();
            write(frame);
        }

        void terminate(int code, String reason) {
            if (state == CLOSED) {
                return;
            }
            state = CLOSED;
            if (!ready.isDone()) {
                ready.completeExceptionally(new IOException("closed before ready: " + code + " " + reason));
            }
            try {
                if (key != null) {
                    key.cancel();
                }
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException e) {
                // gone anyway
            }
            if (closed.complete(code)) {
                handler.onClose(this, code, reason);
            }
        }

        @Override
        public void pause() {
            loop.submit(() -> {
                paused = true;
                if (key != null && key.isValid()) {
                    key.interestOps(key.interestOps() & ~SelectionKey.OP_READ);
                }
            });
        }

        @Override
        public void resume() {
            loop.submit(() -> {
                paused = false;
                if (key != null && key.isValid()) {
                    key.interestOps(key.interestOps() | SelectionKey.OP_READ);
                }
            });
        }

        @Override
        public void close() {
            loop.submit(() -> {
                if (state == CLOSED) {
                    return;
                }
                try {
                    if (!closeSent && (state == OPEN || state == OPEN_PING)) {
                        closeSent = true;
                        sendControl(0x8, new byte[] {0x03, (byte) 0xE8});
                    }
                } catch (IOException e) {
                    // closing anyway
                }
                terminate(1000, "closed by bench");
            });
        }

        @Override
        public CompletableFuture<Integer> closed() {
            return closed;
        }
    }

    /** A CharSequence over ASCII/UTF-8 bytes without copying (the fields the tally reads are ASCII). */
    private static final class Ascii implements CharSequence {
        private byte[] bytes;
        private int offset;
        private int length;

        Ascii set(byte[] bytes, int offset, int length) {
            this.bytes = bytes;
            this.offset = offset;
            this.length = length;
            return this;
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public char charAt(int index) {
            return (char) (bytes[offset + index] & 0xff);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new String(bytes, offset + start, end - start, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return new String(bytes, offset, length, StandardCharsets.UTF_8);
        }
    }
}
