package dev.herald.notification.control;

import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;

/** A resume point history cannot serve without a gap: trimmed away, or never issued by this broker. */
public class HistoryGapException extends RuntimeException {

    /** @param named whether the message names the stream: the socket carries several, so the client must learn which */
    public HistoryGapException(Stream stream, NotificationId since, boolean named) {
        super(named
                ? "history of " + stream.frameName() + " no longer reaches back to " + since + "; reconnect without since"
                : "since=" + since + " is not in history (too old, or unknown); load /history and reconnect without since");
    }
}
