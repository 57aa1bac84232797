package dev.herald.notification.control;

import dev.herald.notification.entity.NotificationId;

/** A resume point history cannot serve without a gap: trimmed away, or never issued by this broker. */
public class HistoryGapException extends RuntimeException {

    public HistoryGapException(NotificationId since) {
        super("since=" + since + " is not in history (too old, or unknown); load /history and reconnect without since");
    }
}
