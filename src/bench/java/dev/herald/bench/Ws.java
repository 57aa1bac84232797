package dev.herald.bench;

import java.net.InetAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The benchmark's view of a WebSocket client library: connect, receive whole text frames, pause reading, close. */
final class Ws {

    private Ws() {
    }

    /** Receives one connection's events; calls for one connection never overlap. */
    interface Handler {
        /** A whole text frame. {@code frame} is only valid during the call. */
        void onText(Conn conn, CharSequence frame);

        /** The server's close code, or 1006 when the connection just ended. */
        default void onClose(Conn conn, int code, String reason) {
        }
    }

    /** One open connection. */
    interface Conn {
        /** Stops reading from the socket (frames stay in the kernel and the server's queues). */
        void pause();

        void resume();

        /** Sends a Close (1000) and lets the connection go. */
        void close();

        /** Completes with the close code once the connection ended. */
        CompletableFuture<Integer> closed();
    }

    interface Client extends AutoCloseable {
        /**
         * Opens a socket; the future completes once the handshake is done AND a Ping was answered (so the
         * server's {@code @OnOpen} has run: Tyrus answers frames only after it), or fails.
         *
         * @param local source address to bind, or null (not supported by every client)
         */
        CompletableFuture<Conn> connect(URI uri, Map<String, String> headers, InetAddress local, Handler handler);

        String name();

        @Override
        void close();
    }

    /** {@code bench.client}: jdk (java.net.http, the default) or nio ({@link NioWsClient}: why it is kept). */
    static Client create(String kind, int threads) {
        return switch (kind) {
            case "jdk" -> new JdkWsClient();
            case "nio" -> new NioWsClient(threads);
            default -> throw new IllegalArgumentException("bench.client must be jdk or nio, not " + kind);
        };
    }

    // The tally reads three fields of every received frame. These scanners read them in place, without
    // building a JSON tree per frame: the generator shares the box's 2 cores with the server it measures.

    /** Finds {@code "key":} in a flat JSON frame; returns the index of the value, or -1. */
    static int valueAt(CharSequence s, String key) {
        int n = s.length();
        int k = key.length();
        outer:
        for (int i = 0; i + k + 3 <= n; i++) {
            if (s.charAt(i) != '"') {
                continue;
            }
            for (int j = 0; j < k; j++) {
                if (s.charAt(i + 1 + j) != key.charAt(j)) {
                    continue outer;
                }
            }
            if (s.charAt(i + 1 + k) == '"' && s.charAt(i + 2 + k) == ':') {
                int v = i + 3 + k;
                while (v < n && s.charAt(v) == ' ') {
                    v++;
                }
                return v;
            }
        }
        return -1;
    }

    static long longAt(CharSequence s, int at) {
        long value = 0;
        boolean negative = false;
        int i = at;
        if (i < s.length() && s.charAt(i) == '-') {
            negative = true;
            i++;
        }
        int start = i;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            value = value * 10 + (c - '0');
        }
        if (i == start) {
            throw new NumberFormatException("no number at " + at);
        }
        return negative ? -value : value;
    }

    /** True when the string value at {@code at} (starting with a quote) equals {@code expected}. */
    static boolean stringEquals(CharSequence s, int at, String expected) {
        if (at < 0 || at + expected.length() + 2 > s.length() || s.charAt(at) != '"') {
            return false;
        }
        for (int j = 0; j < expected.length(); j++) {
            if (s.charAt(at + 1 + j) != expected.charAt(j)) {
                return false;
            }
        }
        return s.charAt(at + 1 + expected.length()) == '"';
    }

    static String stringAt(CharSequence s, int at) {
        if (at < 0 || s.charAt(at) != '"') {
            return null;
        }
        int end = at + 1;
        while (end < s.length() && s.charAt(end) != '"') {
            end++;
        }
        return s.subSequence(at + 1, end).toString();
    }

    static URI withQuery(URI uri, Map<String, String> query) {
        if (query.isEmpty()) {
            return uri;
        }
        StringBuilder q = new StringBuilder(uri.getRawQuery() == null ? "" : uri.getRawQuery());
        query.forEach((k, v) -> q.append(q.length() == 0 ? "" : "&").append(k).append('=')
                .append(java.net.URLEncoder.encode(v, java.nio.charset.StandardCharsets.UTF_8)));
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + uri.getRawPath() + "?" + q);
    }
}
