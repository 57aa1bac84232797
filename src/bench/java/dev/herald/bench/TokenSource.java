package dev.herald.bench;

import dev.herald.testing.TestTokens;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The benchmark's credentials: security stays on in the measured configuration (JWT verified on every
 * publish and handshake, a token per user). {@link #of} with {@code TEST_KEY} signs with the test key the server
 * started by {@link Target} trusts (against a given {@code bench.url} the server must trust that key too);
 * {@code NONE} is for a server without security, such as the reference peer.
 */
interface TokenSource {

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

    static TokenSource of(BenchConfig.Auth auth) {
        return switch (auth) {
            case NONE -> new TokenSource() {
            };
            case TEST_KEY -> new TestKey();
        };
    }

    /**
     * A publisher token on every publish, and each user's own token as {@code ?token=} on its socket; valid for
     * 4 hours, so a whole benchmark (runs of every scenario take most of an hour) never meets an expired token.
     */
    final class TestKey implements TokenSource {
        private final String publisher = token("bench-publisher");
        private final ConcurrentMap<String, String> users = new ConcurrentHashMap<>();

        @Override
        public Map<String, String> publishHeaders() {
            return Map.of("Authorization", "Bearer " + publisher);
        }

        @Override
        public Map<String, String> socketQuery(String userId) {
            return Map.of("token", users.computeIfAbsent(userId == null ? "bench-listener" : userId, TestKey::token));
        }

        /** A token in the publisher group (which the sockets' tokens need not be, but may). */
        private static String token(String user) {
            return TestTokens.with(user, claims -> claims.setExpirationTimeMinutesInTheFuture(240));
        }
    }
}
