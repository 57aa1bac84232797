package dev.herald.notification.control;

/**
 * The Lua that removes a stream's expired notifications ({@link RedisExpiry}): one atomic step on the stream and the
 * hash that keeps its removed ids ({@link RedisKeys#replayKeys}), in the stream's slot, so a user's counts move with
 * the removal, as {@link RedisInboxScripts#DELETE} moves them.
 */
final class RedisExpiryScripts {

    private RedisExpiryScripts() {
    }

    /**
     * KEYS: the stream, then a user's inbox or another stream's {@link RedisKeys#expired} hash. ARGV: now in epoch ms,
     * how many removed ids to remember at most (the history size, as a delete does), {@code 1} for a user's stream.
     * Removes every entry whose expiry (field {@code e}) is not after now, and returns how many. The ids join the
     * hash's {@code deleted}, which replay counts as held: resuming from one, or before it, is no gap. A user's
     * counts change and one live message tells them ({@code expired} with the ids). For another stream, XDEL moved
     * max-deleted-entry-id, by which replay still recognises trimming there: XSETID puts it back (0-0 as 0-1, which
     * no issued id is at or before either).
     * Scans the stream: at most the history size of entries, and only for a stream the index says has one due.
     */
    private static final String EXPIRE_TEMPLATE = RedisInboxScripts.FUNCTIONS + RedisScripts.STREAM_INFO_FUNCTION + """
            if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
            local now, bound, user = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
            local expired = {}
            for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
              local at = tonumber(entry[2][4])
              if at and at <= now then expired[#expired + 1] = entry[1] end
            end
            if #expired == 0 then return 0 end
            local last, trimmed = streamInfo(KEYS[1])
            local delta
            if user then
              delta = opened(KEYS[2], KEYS[1])
              if not redis.call('HGET', KEYS[2], 'trimmed') then redis.call('HSET', KEYS[2], 'trimmed', trimmed) end
            end
            local deleted = deletedIds(KEYS[2])
            for _, id in ipairs(expired) do
              if user then removed(KEYS[2], delta, id) end
              redis.call('XDEL', KEYS[1], id)
              deleted[#deleted + 1] = id
            end
            if not user then
              -- XSETID ignores 0-0; 0-1 says the same (no id Redis issues is at or before it)
              if trimmed == '0-0' then trimmed = '0-1' end
              redis.call('XSETID', KEYS[1], last, 'MAXDELETEDID', trimmed)
            end
            table.sort(deleted, function(a, b) return not atOrBefore(b, a) end)
            while #deleted > bound do table.remove(deleted, 1) end
            keepDeleted(KEYS[2], deleted)
            if user then
              local counts = settle(KEYS[2], delta)
              tell('%1$s', '%2$s' .. string.sub(KEYS[1], %3$d), counts, 'expired', '-', '-', expired)
            end
            return #expired""";

    /** Per mode, like the publish script: PUBLISH on one Redis or Sentinel, SPUBLISH on Cluster. */
    static final RedisScripts.Script EXPIRE = RedisScripts.withPublish(EXPIRE_TEMPLATE, "PUBLISH");
    static final RedisScripts.Script SEXPIRE = RedisScripts.withPublish(EXPIRE_TEMPLATE, "SPUBLISH");
}
