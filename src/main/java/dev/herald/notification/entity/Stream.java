package dev.herald.notification.entity;

import dev.herald.security.entity.Caller;
import dev.herald.security.entity.UserId;
import java.util.Objects;

/**
 * Where a notification goes: one user's stream, or the broadcast stream every client on
 * {@code /ws/notifications} hears. Ids are ordered within a stream, never across streams.
 *
 * @param userId the recipient, or {@code null} for the broadcast stream
 */
public record Stream(String userId) {

    private static final String BROADCAST_NAME = "broadcast";
    private static final String USER_PREFIX = "user:";

    public static final Stream BROADCAST = new Stream(null);

    public Stream {
        if (userId != null) {
            UserId.check(userId);
        }
    }

    public static Stream user(String userId) {
        return new Stream(Objects.requireNonNull(userId, "userId"));
    }

    /** Every valid token may open the broadcast stream; a user's stream only that user's (src/site/markdown/security.md). */
    public boolean isOpenTo(Caller caller) {
        return isBroadcast() || caller.is(userId);
    }

    public boolean isBroadcast() {
        return userId == null;
    }

    /** A stable name, usable in Redis keys and channels: {@code broadcast} or {@code user:<id>}. */
    public String name() {
        return isBroadcast() ? BROADCAST_NAME : USER_PREFIX + userId;
    }

    public static Stream named(String name) {
        if (BROADCAST_NAME.equals(name)) {
            return BROADCAST;
        }
        if (name.startsWith(USER_PREFIX)) {
            return user(name.substring(USER_PREFIX.length()));
        }
        throw new IllegalArgumentException("not a stream name: " + name);
    }
}
