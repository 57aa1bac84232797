package dev.herald.bench;

import java.util.Map;

/**
 * Where the benchmark's credentials will come from. Herald has no authentication yet, so the default
 * adds nothing; when JWT arrives, an implementation returns an {@code Authorization: Bearer …} header for
 * publishers and a header or {@code token} query parameter for each user's WebSocket handshake, and every
 * scenario picks it up without changes (see {@link Bench#tokenSource}).
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

    /** No authentication: what Herald accepts today. */
    TokenSource NONE = new TokenSource() {
    };
}
