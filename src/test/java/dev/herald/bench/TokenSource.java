package dev.herald.bench;

import java.util.Map;

/**
 * The benchmark's credentials: security stays on in the measured configuration (JWT verified on every
 * publish and handshake, a token per user). {@link #TEST_KEY} signs with the test key the server started by
 * {@link Herald} trusts; against a given {@code bench.url} the server must trust that key too.
 */
public interface TokenSource {

    /** Headers added to every publish request (e.g. {@code Authorization}). */
    default Map<String, String> publishHeaders() {
        return Map.of();
    }

    /** Headers added to the WebSocket upgrade request of {@code userId} (null: the broadcast endpoint). */
    default Map<String, String> socketHeaders(String userId) {
        return Map.of();
    }

    /** Query parameters added to the WebSocket URL of {@code userId} (e.g. {@code token}); null: the broadcast endpoint. */
    default Map<String, String> socketQuery(String userId) {
        return Map.of();
    }

    /** No credentials (a server without security, or one you configured otherwise). */
    TokenSource NONE = new TokenSource() {
    };

    /**
     * A publisher token on every publish, and each user's own token as {@code ?token=} on its socket; valid for
     * 4 hours, so a whole benchmark (runs of every scenario take most of an hour) never meets an expired token.
     */
    TokenSource TEST_KEY = new TokenSource() {
        private final String publisher = token("bench-publisher");
        private final java.util.concurrent.ConcurrentMap<String, String> users = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public Map<String, String> publishHeaders() {
            return Map.of("Authorization", "Bearer " + publisher);
        }

        @Override
        public Map<String, String> socketQuery(String userId) {
            return Map.of("token", users.computeIfAbsent(userId == null ? "bench-listener" : userId, this::token));
        }

        /** A token in the publisher group (which the sockets' tokens need not be, but may). */
        private String token(String user) {
            return dev.herald.testing.TestTokens.with(user, claims -> claims.setExpirationTimeMinutesInTheFuture(240));
        }
    };
}
