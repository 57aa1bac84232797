package dev.herald.security.entity;

import java.time.Instant;
import java.util.Set;

/**
 * A verified identity: the user id (from the configured claim, {@code sub} by default), its groups and
 * when its token expires.
 */
public record Caller(String userId, Set<String> groups, Instant expiresAt) {

    public Caller {
        groups = Set.copyOf(groups);
    }

    public boolean isIn(String group) {
        return groups.contains(group);
    }

    /** The one rule for a user's own data: a token may open and read only its own user's stream. */
    public boolean is(String otherUserId) {
        return userId.equals(otherUserId);
    }
}
