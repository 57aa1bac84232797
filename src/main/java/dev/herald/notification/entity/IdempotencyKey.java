package dev.herald.notification.entity;

import dev.herald.problem.entity.BadInputException;

/**
 * A publisher's name for one notification, so that a retry of it is recognised instead of published again: the
 * {@code Idempotency-Key} header or a batch item's {@code idempotencyKey}. Scoped to the publisher who sent it (the
 * caller) and, where it is recorded, to the notification's stream: two publishers, or two recipients, never share one.
 *
 * @param caller the publisher's identity (its token's user)
 * @param value  1 to {@value #MAX_LENGTH} visible ASCII characters ({@code !} to {@code ~}), e.g. a UUID
 */
public record IdempotencyKey(String caller, String value) {

    public static final int MAX_LENGTH = 255;
    public static final String RULE = "an idempotency key must be 1 to " + MAX_LENGTH
            + " visible ASCII characters (! to ~: no spaces, no control or non-ASCII characters), e.g. a UUID";

    public IdempotencyKey {
        if (caller == null) {
            throw new IllegalArgumentException("an idempotency key needs its caller");
        }
        if (value == null || value.isEmpty() || value.length() > MAX_LENGTH || !value.chars().allMatch(c -> c >= '!' && c <= '~')) {
            throw new BadInputException(RULE);
        }
    }
}
