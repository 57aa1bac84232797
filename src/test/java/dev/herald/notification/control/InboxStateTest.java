package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.notification.control.Inbox.Counts;
import dev.herald.notification.control.Inbox.Filter;
import dev.herald.notification.control.Inbox.Mark;
import dev.herald.notification.entity.NotificationId;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The flag arithmetic both engines share (the Redis scripts get the same numbers), and the memory engine's counts. */
class InboxStateTest {

    private final InboxState state = new InboxState();
    private final NotificationId first = NotificationId.parse("1-0");
    private final NotificationId second = NotificationId.parse("2-0");

    @Test
    void eachMarkSetsAndClearsItsOwnFlags() {
        int none = 0;
        assertEquals(Inbox.Flags.READ | Inbox.Flags.SEEN, Mark.READ.applyTo(none), "read implies seen");
        assertEquals(Inbox.Flags.SEEN, Mark.UNREAD.applyTo(Mark.READ.applyTo(none)), "unread leaves it seen");
        assertEquals(Inbox.Flags.SEEN, Mark.SEEN.applyTo(none));
        int archivedRead = Mark.ARCHIVE.applyTo(Mark.READ.applyTo(none));
        assertEquals(Inbox.Flags.READ | Inbox.Flags.SEEN, Mark.UNARCHIVE.applyTo(archivedRead), "unarchived as it was");
        for (Mark mark : Mark.values()) {
            assertEquals(mark.applyTo(none), mark.applyTo(mark.applyTo(none)), mark + " twice is " + mark + " once");
        }
    }

    @Test
    void filtersTakeWhatTheirNamesSay() {
        int archivedUnread = Mark.ARCHIVE.applyTo(0);
        int seen = Mark.SEEN.applyTo(0);
        int read = Mark.READ.applyTo(0);
        assertEquals(List.of(Filter.INBOX, Filter.UNREAD, Filter.UNSEEN, Filter.ALL), matching(0));
        assertEquals(List.of(Filter.INBOX, Filter.UNREAD, Filter.ALL), matching(seen));
        assertEquals(List.of(Filter.INBOX, Filter.ALL), matching(read));
        assertEquals(List.of(Filter.ARCHIVED, Filter.ALL), matching(archivedUnread), "archived: in no unread or unseen list");
    }

    private static List<Filter> matching(int flags) {
        return Arrays.stream(Filter.values()).filter(filter -> filter.matches(flags)).toList();
    }

    @Test
    void theCountsFollowEveryChangeAndAnArchivedEntryCountsInNone() {
        state.added();
        state.added();
        assertEquals(new Counts(2, 2, 2), state.counts());
        state.mark(first, Mark.SEEN);
        assertEquals(new Counts(2, 1, 2), state.counts());
        state.mark(second, Mark.ARCHIVE);
        assertEquals(new Counts(1, 0, 1), state.counts());
        state.mark(second, Mark.READ);
        assertEquals(new Counts(1, 0, 1), state.counts(), "an archived entry counts in none, read or not");
        state.removed(first);
        assertEquals(new Counts(0, 0, 0), state.counts());
        state.mark(second, Mark.UNARCHIVE);
        assertEquals(new Counts(0, 0, 1), state.counts(), "back, read as marked while archived");
        state.removed(second);
        assertEquals(Counts.NONE, state.counts());
        assertEquals(0, state.flagsOf(second), "a removed entry's flags are dropped");
    }
}
