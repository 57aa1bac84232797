package dev.herald.notification.entity;

import dev.herald.problem.entity.BadInputException;
import java.time.Instant;

/**
 * A notification's id: a Redis Stream entry id ({@code <millis>-<sequence>}), unique and increasing
 * within its stream. The millisecond part is the time the broker stored it, which is also its {@code ts}.
 */
public record NotificationId(long millis, long sequence) implements Comparable<NotificationId> {

    /** Before every id: {@code since=0} replays all that is stored. */
    public static final NotificationId ZERO = new NotificationId(0, 0);

    public NotificationId {
        if (millis < 0 || sequence < 0) {
            throw new IllegalArgumentException("id parts must not be negative");
        }
    }

    /** Parses {@code <millis>-<sequence>} or {@code <millis>} (sequence 0), as Redis does. */
    public static NotificationId parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 41) {
            throw invalid();
        }
        int dash = text.indexOf('-');
        String millis = dash < 0 ? text : text.substring(0, dash);
        String sequence = dash < 0 ? "0" : text.substring(dash + 1);
        return new NotificationId(digits(millis), digits(sequence));
    }

    private static long digits(String part) {
        if (part.isEmpty() || part.length() > 19 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid();
        }
        try {
            return Long.parseLong(part);
        } catch (NumberFormatException e) {
            throw invalid();
        }
    }

    private static BadInputException invalid() {
        return new BadInputException("an id looks like 1732450000000-0 (as received in a notification's \"id\")");
    }

    /** The id that follows this one when a new entry is stored at {@code nowMillis}, as Redis assigns them. */
    public NotificationId next(long nowMillis) {
        return nowMillis > millis ? new NotificationId(nowMillis, 0) : new NotificationId(millis, sequence + 1);
    }

    public boolean isAfter(NotificationId other) {
        return compareTo(other) > 0;
    }

    public Instant timestamp() {
        return Instant.ofEpochMilli(millis);
    }

    @Override
    public int compareTo(NotificationId other) {
        int byMillis = Long.compare(millis, other.millis);
        return byMillis != 0 ? byMillis : Long.compare(sequence, other.sequence);
    }

    @Override
    public String toString() {
        return millis + "-" + sequence;
    }
}
