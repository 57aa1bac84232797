package dev.herald.notification.boundary;

import dev.herald.notification.entity.NotificationId;
import jakarta.ws.rs.BadRequestException;

/** The {@code limit} and {@code after} query parameters that history and inbox listings share, checked the same way. */
final class Paging {

    private Paging() {
    }

    /** The id to list after, or null for the newest. */
    static NotificationId after(String after) {
        try {
            return after == null ? null : NotificationId.parse(after);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("after: " + e.getMessage());
        }
    }

    /** 1 to {@code historySize}: absent is all of it; more is as much as there is; less, or not a number, a 400. */
    static int limit(String limit, int historySize) {
        if (limit == null) {
            return historySize;
        }
        try {
            int value = Integer.parseInt(limit);
            if (value >= 1) {
                return Math.min(value, historySize);
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new BadRequestException("limit must be a whole number from 1 to " + historySize);
    }
}
