package dev.herald.notification.control;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A user's stream seen as an inbox: each notification read or unread, seen or unseen, archived or not, and deletable,
 * with counters kept exact by construction: every change (a publish, history trimming, a mark, a delete) updates them
 * in the same step as the change itself (on Redis: the same script, in the stream's hash slot; in memory: under the
 * stream's lock), so nothing is ever recounted on read. Group and broadcast streams have no inbox.
 * <p>
 * Obtained from {@link Broker#inbox()}: it is a view of the engine's own storage, not a store of its own. Every change
 * is also told to live listeners on every node ({@link Broker.Listener#inboxChanged}), with the new counts.
 * Every method may throw {@link BrokerUnavailableException}.
 */
public interface Inbox {

    /** Entries that are not archived; of those, the ones not read and not seen. Archived entries count in none. */
    record Counts(long unread, long unseen, long total) {

        public static final Counts NONE = new Counts(0, 0, 0);
    }

    record Entry(Notification notification, boolean read, boolean seen, boolean archived) {
    }

    /**
     * Which entries {@link #inbox} lists. An entry's state is kept as bit flags ({@link Flags}); a filter takes the
     * entries whose flags, masked with {@code mask}, equal {@code want} (the Redis scripts get the same two numbers).
     */
    enum Filter {
        /** Not archived: the default. */
        INBOX(Flags.ARCHIVED, 0),
        UNREAD(Flags.ARCHIVED | Flags.READ, 0),
        UNSEEN(Flags.ARCHIVED | Flags.SEEN, 0),
        ARCHIVED(Flags.ARCHIVED, Flags.ARCHIVED),
        ALL(0, 0);

        final int mask;
        final int want;

        Filter(int mask, int want) {
            this.mask = mask;
            this.want = want;
        }

        boolean matches(int flags) {
            return (flags & mask) == want;
        }
    }

    /**
     * A change of state. READ also marks seen, as every inbox product does (what was read was seen); UNREAD leaves it
     * seen. Each mark sets some flags and clears others ({@link Flags}; the Redis scripts get the same two numbers).
     */
    enum Mark {
        READ(Flags.READ | Flags.SEEN, 0),
        UNREAD(0, Flags.READ),
        SEEN(Flags.SEEN, 0),
        ARCHIVE(Flags.ARCHIVED, 0),
        UNARCHIVE(0, Flags.ARCHIVED);

        final int set;
        final int clear;

        Mark(int set, int clear) {
            this.set = set;
            this.clear = clear;
        }

        int applyTo(int flags) {
            return (flags | set) & ~clear;
        }
    }

    /** An entry's state as bits; no bit set (an entry never marked) is unread, unseen and not archived. */
    final class Flags {
        static final int READ = 1;
        static final int SEEN = 2;
        static final int ARCHIVED = 4;

        private Flags() {
        }

        static Entry entry(Notification notification, int flags) {
            return new Entry(notification, (flags & READ) != 0, (flags & SEEN) != 0, (flags & ARCHIVED) != 0);
        }
    }

    /**
     * What changed in a user's inbox, with the counts after the change, for live listeners on every node.
     *
     * @param mark the mark applied ({@link Change#MARKED} only, else null)
     * @param ids  the notifications published, marked (those of the ids given that the inbox held), deleted or expired; empty
     *             for a mark up to an id
     * @param upTo for a mark up to an id, that id; else null
     */
    record Event(String userId, Counts counts, Change change, Mark mark, List<NotificationId> ids, NotificationId upTo) {

        public Event {
            Objects.requireNonNull(userId, "userId");
            Objects.requireNonNull(counts, "counts");
            Objects.requireNonNull(change, "change");
            ids = List.copyOf(ids);
        }
    }

    enum Change {
        /** New notifications (and whatever trimming history to its size removed). */
        PUBLISHED,
        MARKED,
        /** Removed by the user ({@link Remover#USER}). */
        DELETED,
        /** Retracted by a publisher ({@link Remover#PUBLISHER}): a client shows it differently from its own delete. */
        RETRACTED,
        /** Removed because they expired (a publisher's expiry or {@code herald.history.max-age}). */
        EXPIRED
    }

    /** Who removes a notification: sockets tell a user's own delete apart from a publisher's retraction. */
    enum Remover {
        USER(Change.DELETED),
        PUBLISHER(Change.RETRACTED);

        final Change change;

        Remover(Change change) {
            this.change = change;
        }
    }

    /**
     * Up to {@code limit} entries of the user's stream that {@code filter} takes, oldest first: the newest ones, or when
     * {@code after} is given the first ones after it (as {@link Broker#history} pages).
     */
    List<Entry> inbox(String userId, Filter filter, NotificationId after, int limit);

    Counts counts(String userId);

    /** Marks the entries with these ids; ids the inbox does not hold (never, or no longer) are ignored. */
    Counts mark(String userId, Mark mark, List<NotificationId> ids);

    /** Marks every entry with an id up to and including {@code upTo}: "mark all read" is up to the newest id. */
    Counts markUpTo(String userId, Mark mark, NotificationId upTo);

    /**
     * Removes one notification from the user's history, replay and inbox: the user deleting it, or a publisher
     * retracting it ({@code by}, which decides the change listeners are told). Clients resuming from an id before it, or from it, are not told of a gap: it was removed on
     * purpose. Empty when the stream does not hold it (never did, or it was already deleted or trimmed).
     */
    Optional<Counts> delete(String userId, NotificationId id, Remover by);
}
