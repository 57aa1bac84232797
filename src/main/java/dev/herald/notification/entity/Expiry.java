package dev.herald.notification.entity;

import dev.herald.problem.entity.BadInputException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;

/**
 * When a notification expires, as a publisher writes it ({@code Herald-Expires}, a batch item's {@code "expires"}):
 * an ISO-8601 duration from now ({@code PT10M}) or an instant ({@code 2026-12-02T10:00:00Z}). Either must lie in the
 * future: a notification that would be expired before it is stored is a publisher's mistake, answered 400.
 */
public final class Expiry {

    private Expiry() {
    }

    /** The instant {@code text} names, measured from {@code now}; a {@link BadInputException} when malformed or not future. */
    public static Instant parse(String text, Instant now) {
        String value = text.strip();
        if (value.isEmpty()) {
            throw new BadInputException("the expiry is empty: give an ISO-8601 duration (PT10M) or instant (2026-12-02T10:00:00Z)");
        }
        Instant at;
        try {
            if (value.charAt(0) == 'P' || value.charAt(0) == 'p' || value.charAt(0) == '-' || value.charAt(0) == '+') {
                Duration duration = Duration.parse(value);
                if (duration.isNegative() || duration.isZero()) {
                    throw new BadInputException("the expiry " + value + " is not a positive duration");
                }
                at = now.plus(duration);
            } else {
                at = Instant.parse(value);
            }
            at.toEpochMilli(); // engines keep it in epoch ms: one too far for that is malformed
        } catch (DateTimeException | ArithmeticException e) {
            throw new BadInputException("the expiry " + value + " is neither an ISO-8601 duration (PT10M) nor an instant "
                    + "(2026-12-02T10:00:00Z)");
        }
        if (!at.isAfter(now)) {
            throw new BadInputException("the expiry " + value + " has passed");
        }
        return at;
    }
}
