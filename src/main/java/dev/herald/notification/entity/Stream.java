package dev.herald.notification.entity;

import dev.herald.security.entity.GroupName;
import dev.herald.security.entity.UserId;
import java.util.Objects;

/**
 * Where a notification goes: one user's stream, a group's stream (every member's), or the broadcast stream every
 * client on {@code /ws/notifications} hears. Ids are ordered within a stream, never across streams.
 *
 * @param kind whose stream it is
 * @param id the user id or the group name; {@code null} for the broadcast stream
 */
public record Stream(Kind kind, String id) {

    /** The kinds of stream; {@link #label()} names the kind in metrics and in stream names. */
    public enum Kind {
        USER("user"), GROUP("group"), BROADCAST("broadcast");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private static final String USER_PREFIX = Kind.USER.label() + ":";
    private static final String GROUP_PREFIX = Kind.GROUP.label() + ":";

    public static final Stream BROADCAST = new Stream(Kind.BROADCAST, null);

    public Stream {
        Objects.requireNonNull(kind, "kind");
        switch (kind) {
            case USER -> UserId.check(id);
            case GROUP -> GroupName.check(id);
            case BROADCAST -> {
                if (id != null) {
                    throw new IllegalArgumentException("the broadcast stream has no id");
                }
            }
        }
    }

    public static Stream user(String userId) {
        return new Stream(Kind.USER, Objects.requireNonNull(userId, "userId"));
    }

    public static Stream group(String name) {
        return new Stream(Kind.GROUP, Objects.requireNonNull(name, "group"));
    }

    public boolean isBroadcast() {
        return kind == Kind.BROADCAST;
    }

    public boolean isUser() {
        return kind == Kind.USER;
    }

    public boolean isGroup() {
        return kind == Kind.GROUP;
    }

    /** The recipient of a user's stream, else {@code null}. */
    public String userId() {
        return isUser() ? id : null;
    }

    /**
     * A stable name, usable in Redis keys and channels: {@code broadcast}, {@code user:<id>} or {@code group:<name>}.
     * No name is another's: the ids hold no braces and the broadcast name has no colon.
     */
    public String name() {
        return switch (kind) {
            case BROADCAST -> Kind.BROADCAST.label();
            case USER -> USER_PREFIX + id;
            case GROUP -> GROUP_PREFIX + id;
        };
    }

    /**
     * How frames on a socket that carries several streams name this one ({@code "stream"}, and keys of the
     * {@link Cursor}): {@code user} (the socket's own user: no id to leak or to repeat), {@code broadcast}, or
     * {@code group:<name>}.
     */
    public String frameName() {
        return isUser() ? Kind.USER.label() : name();
    }

    public static Stream named(String name) {
        if (Kind.BROADCAST.label().equals(name)) {
            return BROADCAST;
        }
        if (name.startsWith(USER_PREFIX)) {
            return user(name.substring(USER_PREFIX.length()));
        }
        if (name.startsWith(GROUP_PREFIX)) {
            return group(name.substring(GROUP_PREFIX.length()));
        }
        throw new IllegalArgumentException("not a stream name: " + name);
    }
}
