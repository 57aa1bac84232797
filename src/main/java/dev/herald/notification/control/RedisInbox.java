package dev.herald.notification.control;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import redis.clients.jedis.UnifiedJedis;

/**
 * The Redis engine's inbox: builds the calls of {@link RedisInboxScripts}, one script per operation, each on one
 * user's stream and inbox keys (one hash slot). Unlike a publish, a change whose reply was lost may simply be made
 * again: a mark set twice is set once (and told twice), and a second delete finds nothing (empty, as for an unknown id).
 */
final class RedisInbox implements Inbox {

    private final UnifiedJedis commands;
    private final int historySize;
    private final RedisScripts.Script markScript;
    private final RedisScripts.Script deleteScript;

    RedisInbox(RedisClients clients, int historySize) {
        this.commands = clients.commands();
        this.historySize = historySize;
        this.markScript = clients.isCluster() ? RedisInboxScripts.SMARK : RedisInboxScripts.MARK;
        this.deleteScript = clients.isCluster() ? RedisInboxScripts.SDELETE : RedisInboxScripts.DELETE;
    }

    @Override
    public List<Entry> inbox(String userId, Filter filter, NotificationId after, int limit) {
        Stream stream = Stream.user(userId);
        List<?> reply = (List<?>) RedisInboxScripts.LIST.run(commands, keys(stream),
                List.of(String.valueOf(filter.mask), String.valueOf(filter.want), after == null ? "" : after.toString(),
                        String.valueOf(limit)));
        List<Entry> entries = new ArrayList<>(reply.size() / 3);
        for (int i = 0; i < reply.size(); i += 3) {
            Notification notification = Notification.of(stream, NotificationId.parse((String) reply.get(i)), (String) reply.get(i + 1));
            entries.add(Flags.entry(notification, Math.toIntExact((Long) reply.get(i + 2))));
        }
        if (after == null) {
            Collections.reverse(entries); // the newest were collected newest first
        }
        return entries;
    }

    @Override
    public Counts counts(String userId) {
        Stream stream = Stream.user(userId);
        return counts(RedisInboxScripts.COUNTS.run(commands, keys(stream), List.of()));
    }

    @Override
    public Counts mark(String userId, Mark mark, List<NotificationId> ids) {
        return mark(userId, mark, "", ids.stream().distinct().map(NotificationId::toString).toList());
    }

    @Override
    public Counts markUpTo(String userId, Mark mark, NotificationId upTo) {
        return mark(userId, mark, upTo.toString(), List.of());
    }

    private Counts mark(String userId, Mark mark, String upTo, List<String> ids) {
        Stream stream = Stream.user(userId);
        List<String> args = new ArrayList<>(4 + ids.size());
        args.addAll(List.of(String.valueOf(mark.set), String.valueOf(mark.clear), mark.name(), upTo));
        args.addAll(ids);
        return counts(markScript.run(commands, keys(stream), args));
    }

    @Override
    public Optional<Counts> delete(String userId, NotificationId id, Remover by) {
        Stream stream = Stream.user(userId);
        List<?> reply = (List<?>) deleteScript.run(commands, keys(stream), List.of(id.toString(), String.valueOf(historySize),
                by.change.name().toLowerCase(Locale.ROOT)));
        return reply.isEmpty() ? Optional.empty() : Optional.of(counts(reply));
    }

    /** Every inbox script's KEYS: the user's stream and its inbox, in one slot. */
    private static List<String> keys(Stream stream) {
        return List.of(RedisKeys.stream(stream), RedisKeys.inbox(stream));
    }

    /** A script's {unread, unseen, total}. */
    private static Counts counts(Object reply) {
        List<?> counts = (List<?>) reply;
        return new Counts((Long) counts.get(0), (Long) counts.get(1), (Long) counts.get(2));
    }
}
