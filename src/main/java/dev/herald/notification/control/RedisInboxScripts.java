package dev.herald.notification.control;

/**
 * The Lua of the Redis engine's inbox ({@link RedisInbox}): each script one atomic step on one user's stream and its
 * inbox ({@link RedisKeys#inbox}), both in the stream's hash slot, so every change moves the counters in the
 * same step and they never need recounting. The publish script ({@link RedisScripts}) uses {@link #FUNCTIONS} too.
 */
final class RedisInboxScripts {

    private RedisInboxScripts() {
    }

    /**
     * Lua shared by every script that changes an inbox. The counters' changes are summed in a delta and applied once.
     * Flags per entry as {@link Inbox.Flags}: 1 read, 2 seen, 4 archived. Holds no {@code %}: it is part of templates.
     * The live message {@code tell} sends on the user's channel, which {@link LiveMessages} parses:
     * {@code !<unread> <unseen> <total> <change> <mark or -> <up-to id or ->[ <id>...]}; the {@code !} tells it apart
     * from a notification ({@code <id> <payload>}: ids start with a digit).
     */
    static final String FUNCTIONS = """
            local function opened(inbox, stream)
              if redis.call('EXISTS', inbox) == 0 then
                -- a stream older than the inbox has no counters yet: every entry it holds is unread and unseen
                local held = redis.call('XLEN', stream)
                redis.call('HSET', inbox, 'unread', held, 'unseen', held, 'total', held)
              end
              return {unread = 0, unseen = 0, total = 0}
            end
            local function weigh(delta, flags, sign)
              if bit.band(flags, 4) == 0 then
                delta.total = delta.total + sign
                if bit.band(flags, 1) == 0 then delta.unread = delta.unread + sign end
                if bit.band(flags, 2) == 0 then delta.unseen = delta.unseen + sign end
              end
            end
            local function settle(inbox, delta)
              return {redis.call('HINCRBY', inbox, 'unread', delta.unread), redis.call('HINCRBY', inbox, 'unseen', delta.unseen),
                redis.call('HINCRBY', inbox, 'total', delta.total)}
            end
            local function removed(inbox, delta, id)
              weigh(delta, tonumber(redis.call('HGET', inbox, id)) or 0, -1)
              redis.call('HDEL', inbox, id)
            end
            local function atOrBefore(a, b)
              local da, db = string.find(a, '-', 1, true), string.find(b, '-', 1, true)
              local ma, mb = tonumber(string.sub(a, 1, da - 1)), tonumber(string.sub(b, 1, db - 1))
              return ma < mb or ma == mb and tonumber(string.sub(a, da + 1)) <= tonumber(string.sub(b, db + 1))
            end
            local function deletedIds(inbox)
              local ids = {}
              local text = redis.call('HGET', inbox, 'deleted')
              if text then
                for id in string.gmatch(text, '[^ ]+') do ids[#ids + 1] = id end
              end
              return ids
            end
            local function keepDeleted(inbox, ids)
              if #ids > 0 then redis.call('HSET', inbox, 'deleted', table.concat(ids, ' ')) else redis.call('HDEL', inbox, 'deleted') end
            end
            local function trimmedUpTo(inbox, trimmed)
              redis.call('HSET', inbox, 'trimmed', trimmed)
              local deleted = deletedIds(inbox)
              if #deleted > 0 then
                local kept = {}
                for _, id in ipairs(deleted) do
                  if not atOrBefore(id, trimmed) then kept[#kept + 1] = id end
                end
                keepDeleted(inbox, kept)
              end
            end
            local function tell(command, channel, counts, change, mark, upTo, ids)
              local message = '!' .. counts[1] .. ' ' .. counts[2] .. ' ' .. counts[3] .. ' ' .. change .. ' ' .. mark .. ' ' .. upTo
              if #ids > 0 then message = message .. ' ' .. table.concat(ids, ' ') end
              redis.call(command, channel, message)
            end
            """;

    /** KEYS: the stream, its inbox. The counts {unread, unseen, total}; a stream older than the inbox: all unread. */
    static final RedisScripts.Script COUNTS = new RedisScripts.Script("""
            local counts = redis.call('HMGET', KEYS[2], 'unread', 'unseen', 'total')
            if counts[3] then return {tonumber(counts[1]), tonumber(counts[2]), tonumber(counts[3])} end
            local held = redis.call('XLEN', KEYS[1])
            return {held, held, held}""");

    /**
     * KEYS: the stream, its inbox. ARGV: a filter's mask and want ({@link Inbox.Filter}), the id to list after (or
     * empty: the newest), the limit. Triples (id, payload, flags) of the matching entries: after the id oldest first,
     * else newest first.
     */
    static final RedisScripts.Script LIST = new RedisScripts.Script("""
            local mask, want, after, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
            local entries
            if after == '' then
              entries = redis.call('XREVRANGE', KEYS[1], '+', '-')
            else
              entries = redis.call('XRANGE', KEYS[1], '(' .. after, '+')
            end
            local result = {}
            for _, entry in ipairs(entries) do
              if #result >= 3 * limit then break end
              local flags = tonumber(redis.call('HGET', KEYS[2], entry[1])) or 0
              if bit.band(flags, mask) == want then
                result[#result + 1] = entry[1]
                result[#result + 1] = entry[2][2]
                result[#result + 1] = flags
              end
            end
            return result""");

    /**
     * KEYS: the stream, its inbox. ARGV: the flags the mark sets and clears ({@link Inbox.Mark}), its name, the id to
     * mark up to (or empty), then the ids to mark (none with an up-to id). Ids the stream does not hold are skipped.
     * The new counts; a live message when anything was marked.
     */
    private static final String MARK_TEMPLATE = FUNCTIONS + """
            if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0, 0} end
            local set, clear, upTo = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[4]
            local delta, marked = opened(KEYS[2], KEYS[1]), {}
            local function mark(id)
              local before = tonumber(redis.call('HGET', KEYS[2], id)) or 0
              local after = bit.band(bit.bor(before, set), bit.bnot(clear))
              if after ~= before then
                weigh(delta, before, -1)
                weigh(delta, after, 1)
                if after == 0 then redis.call('HDEL', KEYS[2], id) else redis.call('HSET', KEYS[2], id, after) end
              end
              marked[#marked + 1] = id
            end
            if upTo ~= '' then
              for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', upTo)) do mark(entry[1]) end
            else
              for i = 5, #ARGV do
                if #redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i]) > 0 then mark(ARGV[i]) end
              end
            end
            local counts = settle(KEYS[2], delta)
            if #marked > 0 then
              if upTo ~= '' then marked = {} else upTo = '-' end
              tell('%1$s', '%2$s' .. string.sub(KEYS[1], %3$d), counts, 'marked', ARGV[3], upTo, marked)
            end
            return counts""";

    /**
     * KEYS: the stream, its inbox. ARGV: the id, how many deleted ids to remember at most (the history size: a stream
     * whose user deletes everything never trims, so nothing else would forget them; resuming from a forgotten one reads
     * as a gap, a needless reload, never a silent loss), the change to tell ({@code deleted} by the user,
     * {@code retracted} by a publisher: {@link Inbox.Remover}). The new counts, or empty when the stream does not hold the id.
     * <p>
     * XDEL moves the stream's max-deleted-entry-id, which is how replay recognised trimming: before the first delete the
     * newest trimmed id is copied into the inbox ({@code trimmed}, kept by the publish script from then on), which
     * replay reads instead; the deleted id joins {@code deleted}, which replay counts as held.
     */
    private static final String DELETE_TEMPLATE = FUNCTIONS + RedisScripts.STREAM_INFO_FUNCTION + """
            local id = ARGV[1]
            if #redis.call('XRANGE', KEYS[1], id, id) == 0 then return {} end
            local delta = opened(KEYS[2], KEYS[1])
            if not redis.call('HGET', KEYS[2], 'trimmed') then
              local _, trimmed = streamInfo(KEYS[1])
              redis.call('HSET', KEYS[2], 'trimmed', trimmed)
            end
            removed(KEYS[2], delta, id)
            redis.call('XDEL', KEYS[1], id)
            local deleted = deletedIds(KEYS[2])
            deleted[#deleted + 1] = id
            if #deleted > tonumber(ARGV[2]) then
              local oldest = 1
              for i = 2, #deleted do
                if atOrBefore(deleted[i], deleted[oldest]) then oldest = i end
              end
              table.remove(deleted, oldest)
            end
            keepDeleted(KEYS[2], deleted)
            local counts = settle(KEYS[2], delta)
            tell('%1$s', '%2$s' .. string.sub(KEYS[1], %3$d), counts, ARGV[3], '-', '-', {id})
            return counts""";

    /** Per mode, like the publish script: PUBLISH on one Redis or Sentinel, SPUBLISH on Cluster. */
    static final RedisScripts.Script MARK = RedisScripts.withPublish(MARK_TEMPLATE, "PUBLISH");
    static final RedisScripts.Script SMARK = RedisScripts.withPublish(MARK_TEMPLATE, "SPUBLISH");
    static final RedisScripts.Script DELETE = RedisScripts.withPublish(DELETE_TEMPLATE, "PUBLISH");
    static final RedisScripts.Script SDELETE = RedisScripts.withPublish(DELETE_TEMPLATE, "SPUBLISH");
}
