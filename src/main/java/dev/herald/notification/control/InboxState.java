package dev.herald.notification.control;

import dev.herald.notification.entity.NotificationId;
import java.util.HashMap;
import java.util.Map;

/**
 * One user's inbox in the memory engine: each entry's flags and the counts, only ever changed together, so the
 * counts are exact without recounting. Not thread-safe: guarded by its stream's lock, with the entries themselves.
 */
final class InboxState {

    /** Only entries with a flag set: an absent one is unread, unseen and not archived, as on Redis. */
    private final Map<NotificationId, Integer> flags = new HashMap<>();
    private long unread;
    private long unseen;
    private long total;

    /** A new entry: unread and unseen. */
    void added() {
        weigh(0, 1);
    }

    /** The entry left the stream (trimmed or deleted): it counts no more. */
    void removed(NotificationId id) {
        weigh(flagsOf(id), -1);
        flags.remove(id);
    }

    void mark(NotificationId id, Inbox.Mark mark) {
        int before = flagsOf(id);
        int after = mark.applyTo(before);
        weigh(before, -1);
        weigh(after, 1);
        if (after == 0) {
            flags.remove(id);
        } else {
            flags.put(id, after);
        }
    }

    int flagsOf(NotificationId id) {
        return flags.getOrDefault(id, 0);
    }

    Inbox.Counts counts() {
        return new Inbox.Counts(unread, unseen, total);
    }

    /** What an entry with these flags adds to the counts, times {@code sign}: archived ones count in none. */
    private void weigh(int entryFlags, int sign) {
        if ((entryFlags & Inbox.Flags.ARCHIVED) != 0) {
            return;
        }
        total += sign;
        if ((entryFlags & Inbox.Flags.READ) == 0) {
            unread += sign;
        }
        if ((entryFlags & Inbox.Flags.SEEN) == 0) {
            unseen += sign;
        }
    }
}
