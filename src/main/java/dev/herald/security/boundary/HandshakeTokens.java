package dev.herald.security.boundary;

import java.util.List;
import java.util.function.Function;

/**
 * Where a WebSocket handshake may carry its token, in order: {@code Authorization: Bearer <token>}
 * (native clients), a {@code Sec-WebSocket-Protocol} entry {@code bearer.<token>} (browsers: keeps it out
 * of URLs; offer {@code herald} or {@code herald.2} too, which the server selects), and {@code ?token=} when enabled.
 */
public final class HandshakeTokens {

    /** The subprotocol Herald selects; browsers require one when they offer any. */
    public static final String SUBPROTOCOL = "herald";
    /** Today's frames plus the inbox's control frames ({@code {"herald":"counts",…}}); selected whenever offered. */
    public static final String INBOX_SUBPROTOCOL = "herald.2";
    private static final String PROTOCOL_PREFIX = "bearer.";

    private HandshakeTokens() {
    }

    /**
     * @param header  a request header's values by name
     * @param query   the query parameter {@code token}'s values, or an empty list when URL tokens are off
     */
    public static String find(Function<String, List<String>> header, List<String> query) {
        for (String value : header.apply("Authorization")) {
            String token = Bearer.token(value);
            if (token != null) {
                return token;
            }
        }
        for (String value : header.apply("Sec-WebSocket-Protocol")) {
            for (String protocol : value.split(",")) {
                if (protocol.strip().startsWith(PROTOCOL_PREFIX)) {
                    return protocol.strip().substring(PROTOCOL_PREFIX.length());
                }
            }
        }
        return query.isEmpty() ? null : query.get(0);
    }
}
