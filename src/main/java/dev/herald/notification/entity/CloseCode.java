package dev.herald.notification.entity;

/**
 * Every close code a Herald socket ends with (README, "close codes"), and the reason it is counted under in
 * {@code herald_sessions_closed}: one table, so a code and its metric reason cannot drift apart.
 */
public enum CloseCode {

    NORMAL(1000, "normal"),
    /** The server is shutting down, or the session was idle: reconnect with since. */
    GOING_AWAY(1001, "normal"),
    /** The client broke the WebSocket protocol (the container closes). */
    PROTOCOL_ERROR(1002, "invalid"),
    /** The client closed without a code. */
    NO_STATUS(1005, "normal"),
    /** The client sent a text message that is not UTF-8 (the container closes). */
    NOT_UTF8(1007, "invalid"),
    /** No valid token or request reached the endpoint. */
    POLICY_VIOLATION(1008, "invalid"),
    /** The client sent a message over herald.websocket.max-frame-bytes. */
    TOO_BIG(1009, "invalid"),
    /** The connection failed, or a send did. */
    ERROR(1011, "error"),
    /** The broker (Redis) is unavailable. */
    TRY_AGAIN_LATER(1013, "unavailable"),
    TOKEN_EXPIRED(4401, "expired"),
    /** since is outside history. */
    HISTORY_GAP(4410, "gap"),
    /** The client read too slowly. */
    SLOW_CONSUMER(4429, "slow");

    /** The metric reason of a handshake refused because the user has too many sockets: no socket, no code. */
    public static final String OVER_USER_LIMIT = "limit";

    private final int code;
    private final String reason;

    CloseCode(int code, String reason) {
        this.code = code;
        this.reason = reason;
    }

    public int code() {
        return code;
    }

    /** The low-cardinality metric reason. */
    public String reason() {
        return reason;
    }

    /** The constant for a code a session closed with; codes Herald does not use (1006, a client's own) count as errors. */
    public static CloseCode of(int code) {
        for (CloseCode closeCode : values()) {
            if (closeCode.code == code) {
                return closeCode;
            }
        }
        return ERROR;
    }
}
