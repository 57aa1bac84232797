package dev.herald.notification.control;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The memory engine's inbox: works on {@link MemoryBroker}'s logs under each stream's lock, the lock its publishes
 * take, so a change, its counts and its event to the listener are one step, in the order of the stream's ids.
 */
final class MemoryInbox implements Inbox {

    private final MemoryBroker broker;
    private final int historySize;

    MemoryInbox(MemoryBroker broker, int historySize) {
        this.broker = broker;
        this.historySize = historySize;
    }

    @Override
    public List<Entry> inbox(String userId, Filter filter, NotificationId after, int limit) {
        MemoryBroker.Log log = broker.existingLog(Stream.user(userId));
        if (log == null) {
            return List.of();
        }
        synchronized (log) {
            List<Entry> matching = new ArrayList<>();
            for (Notification notification : log.entries) {
                int flags = log.inbox.flagsOf(notification.id());
                if (filter.matches(flags) && (after == null || notification.id().isAfter(after))) {
                    matching.add(Flags.entry(notification, flags));
                }
            }
            return List.copyOf(after == null
                    ? matching.subList(Math.max(0, matching.size() - limit), matching.size())
                    : matching.subList(0, Math.min(limit, matching.size())));
        }
    }

    @Override
    public Counts counts(String userId) {
        MemoryBroker.Log log = broker.existingLog(Stream.user(userId));
        if (log == null) {
            return Counts.NONE;
        }
        synchronized (log) {
            return log.inbox.counts();
        }
    }

    @Override
    public Counts mark(String userId, Mark mark, List<NotificationId> ids) {
        Set<NotificationId> wanted = new HashSet<>(ids);
        return markWhere(userId, mark, wanted::contains, null);
    }

    @Override
    public Counts markUpTo(String userId, Mark mark, NotificationId upTo) {
        return markWhere(userId, mark, id -> !id.isAfter(upTo), upTo);
    }

    private Counts markWhere(String userId, Mark mark, Predicate<NotificationId> chosen, NotificationId upTo) {
        MemoryBroker.Log log = broker.existingLog(Stream.user(userId));
        if (log == null) {
            return Counts.NONE;
        }
        synchronized (log) {
            List<NotificationId> marked = new ArrayList<>();
            for (Notification notification : log.entries) {
                if (chosen.test(notification.id())) {
                    log.inbox.mark(notification.id(), mark);
                    marked.add(notification.id());
                }
            }
            if (!marked.isEmpty()) {
                tell(new Event(userId, log.inbox.counts(), Change.MARKED, mark, upTo == null ? marked : List.of(), upTo));
            }
            return log.inbox.counts();
        }
    }

    @Override
    public Optional<Counts> delete(String userId, NotificationId id, Remover by) {
        MemoryBroker.Log log = broker.existingLog(Stream.user(userId));
        if (log == null) {
            return Optional.empty();
        }
        synchronized (log) {
            Iterator<Notification> entries = log.entries.iterator();
            while (entries.hasNext()) {
                if (entries.next().id().equals(id)) {
                    entries.remove();
                    log.inbox.removed(id);
                    log.deleted(id, historySize);
                    tell(new Event(userId, log.inbox.counts(), by.change, null, List.of(id), null));
                    return Optional.of(log.inbox.counts());
                }
            }
            return Optional.empty();
        }
    }

    /** Under the stream's lock, like a publish's delivery: listeners see a user's changes in order. */
    private void tell(Event event) {
        Broker.Listener listener = broker.listener();
        if (listener != null) {
            listener.inboxChanged(event);
        }
    }
}
