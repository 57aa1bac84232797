package dev.herald.notification.entity;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a notification goes: one user's stream, or the broadcast stream every client on
 * {@code /ws/notifications} hears. Ids are ordered within a stream, never across streams.
 *
 * @param userId the recipient, or {@code null} for the broadcast stream
 */
public record Stream(String userId) {

    private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9._@:-]{1,128}");
    private static final String BROADCAST_NAME = "broadcast";
    private static final String USER_PREFIX = "user:";

    public static final Stream BROADCAST = new Stream(null);

    public Stream {
        if (userId != null && !USER_ID.matcher(userId).matches()) {
            throw new IllegalArgumentException("userId must be 1 to 128 characters of A-Z a-z 0-9 . _ @ : -");
        }
    }

    public static Stream user(String userId) {
        return new Stream(Objects.requireNonNull(userId, "userId"));
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
