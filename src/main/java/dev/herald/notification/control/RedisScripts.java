package dev.herald.notification.control;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * The Lua scripts the Redis engine runs, each one atomic step on one hash slot (the caller's rate-limit bucket apart),
 * with the KEYS and ARGV each expects. {@link RedisBroker} builds the calls; Redis runs them.
 */
final class RedisScripts {

    private RedisScripts() {
    }

    /**
     * Lua: takes {@code permits} from the token bucket at {@code key} ({@code t} tokens at time {@code ts}, on Redis'
     * clock), refilled at {@code rate} per second up to {@code burst}; returns the ms to wait when it holds too few
     * (nothing taken), else nil.
     */
    private static final String TAKE_FUNCTION = """
            local function take(key, permits, rate, burst)
              local time = redis.call('TIME')
              local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
              local state = redis.call('HMGET', key, 't', 'ts')
              local tokens = math.min(burst, (tonumber(state[1]) or burst) + math.max(0, now - (tonumber(state[2]) or now)) * rate)
              if tokens < permits then return math.ceil((permits - tokens) / rate * 1000) end
              redis.call('HSET', key, 't', tostring(tokens - permits), 'ts', tostring(now))
              redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
              return nil
            end
            """;

    /**
     * Checks the idempotency keys, takes the caller's permits, then appends, trims and publishes a list of notifications
     * as one step: {@code <id> <payload>} on each one's channel.
     * <p>
     * ARGV: [1] the history size, [2] and [3] the rate limit's refill per second and burst (0: no limit, and then no
     * bucket key), [4] the idempotency ttl in ms; then two per publication i (from 1): ARGV[3 + 2i] its payload,
     * ARGV[4 + 2i] its fingerprint ({@link Publication#fingerprint()}), or empty without an idempotency key; next to last,
     * empty when none expires, else each one's expiry in epoch ms ({@code 0}: none), space-separated; last, one
     * character per publication, {@code 1} when its stream is a user's (it has an inbox), else {@code 0}. An expiring
     * entry holds its expiry in field {@code e} (after the payload, {@code p}) and its live message is
     * {@code <id>/<expiry> <payload>}: {@link RedisExpiry} removes it once due.
     * KEYS: with a limit, first the caller's token bucket ({@code t} tokens at time {@code ts}, on Redis' clock); then
     * each publication's stream, in order; then the idempotency key ({@link RedisKeys#idempotency}) of each publication
     * that has one, in order: a hash {@code f} (fingerprint) {@code i} (id), expiring after the ttl; then the inbox
     * ({@link RedisKeys#inbox}) of each user's stream, in the order the streams first appear.
     * <p>
     * A user's stream also counts each new entry unread and unseen, drops a trimmed entry's state and its part of the
     * counts, keeps its newest trimmed id ({@link RedisInboxScripts#DELETE} says why) and forgets deleted ids at or
     * before it; after the notifications, one live message per user's stream tells the new counts. Group and broadcast
     * streams pay for none of this.
     * <p>
     * The keys are read first. One recorded with another fingerprint, or repeated within the call with another, makes
     * the reply {@code {'conflict', i}} (the publication's 1-based position), nothing published or taken. One recorded
     * with the same fingerprint is a replay, answered with the recorded id; a repeat within the call, with the first
     * one's id. Replays take no permit: too few for the rest is {@code {'limited', <ms to wait>}}, nothing published.
     * Otherwise the reply is {@code {'published', {ids}, {replayed}}}, one id and one 1-or-0 per publication, in order.
     * On Cluster every key of one call is in one hash slot: the script runs once per slot of a batch, without a limit
     * (the bucket has a slot of its own: {@link #TAKE_PERMITS}). The publish command ({@code PUBLISH} or
     * {@code SPUBLISH}) is filled in per mode. Trimming with XDEL rather than XADD MAXLEN because only XDEL records {@code max-deleted-entry-id},
     * which is how a resume point that history no longer covers is recognised.
     */
    private static final String PUBLISH_TEMPLATE = TAKE_FUNCTION + RedisInboxScripts.FUNCTIONS + """
            local size, rate, burst, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
            local users = ARGV[#ARGV]
            local expiries = {}
            for at in string.gmatch(ARGV[#ARGV - 1], '[^ ]+') do expiries[#expiries + 1] = at end
            local first = 1
            if rate > 0 then first = 2 end
            local count = (#ARGV - 6) / 2
            local keyOf, recorded, sameAs, firstInCall = {}, {}, {}, {}
            local fresh, k = count, first + count
            for i = 1, count do
              local fingerprint = ARGV[4 + 2 * i]
              if fingerprint ~= '' then
                local key = KEYS[k]
                k = k + 1
                keyOf[i] = key
                local seen = redis.call('HMGET', key, 'f', 'i')
                local earlier = firstInCall[key]
                local expected = seen[1] or (earlier and ARGV[4 + 2 * earlier])
                if expected and expected ~= fingerprint then return {'conflict', i} end
                if seen[1] then
                  recorded[i] = seen[2]
                  fresh = fresh - 1
                elseif earlier then
                  sameAs[i] = earlier
                  fresh = fresh - 1
                end
                if not earlier then firstInCall[key] = i end
              end
            end
            local inboxes = {}
            for i = 1, count do
              local stream = KEYS[first + i - 1]
              if string.sub(users, i, i) == '1' and not inboxes[stream] then
                inboxes[stream] = {key = KEYS[k], ids = {}}
                k = k + 1
              end
            end
            if rate > 0 and fresh > 0 then
              local wait = take(KEYS[1], fresh, rate, burst)
              if wait then return {'limited', wait} end
            end
            local ids, replayed, streams = {}, {}, {}
            for i = 1, count do
              if recorded[i] then
                ids[i], replayed[i] = recorded[i], 1
              elseif sameAs[i] then
                ids[i], replayed[i] = ids[sameAs[i]], 1
              else
                local stream = KEYS[first + i - 1]
                local inbox = inboxes[stream]
                if inbox and not inbox.delta then inbox.delta = opened(inbox.key, stream) end
                if expiries[i] and expiries[i] ~= '0' then
                  ids[i] = redis.call('XADD', stream, '*', 'p', ARGV[3 + 2 * i], 'e', expiries[i])
                else
                  ids[i] = redis.call('XADD', stream, '*', 'p', ARGV[3 + 2 * i])
                end
                replayed[i] = 0
                streams[stream] = true
                if inbox then
                  weigh(inbox.delta, 0, 1)
                  inbox.ids[#inbox.ids + 1] = ids[i]
                end
                if keyOf[i] then
                  redis.call('HSET', keyOf[i], 'f', ARGV[4 + 2 * i], 'i', ids[i])
                  redis.call('PEXPIRE', keyOf[i], ttl)
                end
              end
            end
            for key in pairs(streams) do
              local excess = redis.call('XLEN', key) - size
              if excess > 0 then
                local inbox, trimmed = inboxes[key], nil
                for _, entry in ipairs(redis.call('XRANGE', key, '-', '+', 'COUNT', excess)) do
                  redis.call('XDEL', key, entry[1])
                  if inbox then removed(inbox.key, inbox.delta, entry[1]) end
                  trimmed = entry[1]
                end
                if inbox then trimmedUpTo(inbox.key, trimmed) end
              end
            end
            for i = 1, count do
              if replayed[i] == 0 then
                local head = ids[i]
                if expiries[i] and expiries[i] ~= '0' then head = head .. '/' .. expiries[i] end
                redis.call('%1$s', '%2$s' .. string.sub(KEYS[first + i - 1], %3$d), head .. ' ' .. ARGV[3 + 2 * i])
              end
            end
            for stream, inbox in pairs(inboxes) do
              if inbox.delta then
                local counts = settle(inbox.key, inbox.delta)
                tell('%1$s', '%2$s' .. string.sub(stream, %3$d), counts, 'published', '-', '-', inbox.ids)
              end
            end
            return {'published', ids, replayed}""";

    /** One Redis or Sentinel: every node's pattern subscription hears {@code PUBLISH}. */
    static final Script PUBLISH = withPublish(PUBLISH_TEMPLATE, "PUBLISH");
    /** Cluster: {@code SPUBLISH} reaches only the shard that serves the stream's slot, and the nodes subscribed there. */
    static final Script SPUBLISH = withPublish(PUBLISH_TEMPLATE, "SPUBLISH");

    /**
     * The rate limit alone, for Cluster, where the caller's bucket has a slot of its own: KEYS[1] the bucket, ARGV the
     * permits, rate and burst; the reply as the publish script's when refused, else empty.
     */
    static final Script TAKE_PERMITS = new Script(TAKE_FUNCTION + """
            local wait = take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
            if wait then return {wait} end
            return {}""");

    /**
     * A script that publishes on a stream's live channel, for one mode: in {@code template}, {@code %1$s} is the publish
     * command and {@code '%2$s' .. string.sub(<stream key>, %3$d)} the stream's channel.
     */
    static Script withPublish(String template, String command) {
        return new Script(template.formatted(command, RedisKeys.CHANNEL_PREFIX, RedisKeys.STREAM_PREFIX.length() + 1));
    }

    /** Lua: a stream's last generated and max deleted ids, from XINFO. */
    static final String STREAM_INFO_FUNCTION = """
            local function streamInfo(stream)
              local info = redis.call('XINFO', 'STREAM', stream)
              local last, deleted = '0-0', '0-0'
              for i = 1, #info, 2 do
                if info[i] == 'last-generated-id' then last = info[i + 1] end
                if info[i] == 'max-deleted-entry-id' then deleted = info[i + 1] end
              end
              return last, deleted
            end
            """;

    /**
     * The stream's last issued and newest trimmed ids, whether it holds the entry ARGV[1] ('1' or '0'), then (id,
     * payload, expiry in epoch ms or 0) triples after ARGV[1] if given. KEYS: the stream; for a user's stream also its
     * inbox ({@link RedisKeys#inbox}): once a user deleted an entry, the newest trimmed id is the inbox's {@code trimmed},
     * not max-deleted-entry-id, and an id a user deleted or that expired (one of the inbox's {@code deleted}) counts as
     * held: resuming from it leaves no gap. (Another stream's expired ids: {@link RedisExpiry#expired}.)
     */
    static final Script REPLAY = new Script(STREAM_INFO_FUNCTION + """
            if redis.call('EXISTS', KEYS[1]) == 0 then return {'0-0', '0-0', '0'} end
            local last, trimmed = streamInfo(KEYS[1])
            local inbox = {false, false}
            if KEYS[2] then inbox = redis.call('HMGET', KEYS[2], 'trimmed', 'deleted') end
            local result = {last, inbox[1] or trimmed, '0'}
            if ARGV[1] ~= '' then
              for _, entry in ipairs(redis.call('XRANGE', KEYS[1], ARGV[1], '+')) do
                if entry[1] == ARGV[1] then
                  result[3] = '1'
                else
                  result[#result + 1] = entry[1]
                  result[#result + 1] = entry[2][2]
                  result[#result + 1] = entry[2][4] or '0'
                end
              end
              if result[3] == '0' and inbox[2] and string.find(' ' .. inbox[2] .. ' ', ' ' .. ARGV[1] .. ' ', 1, true) then
                result[3] = '1'
              end
            end
            return result""");

    /** A script's text and its SHA-1, by which Redis runs it once it has seen it. */
    record Script(String source, String sha) {
        Script(String source) {
            this(source, sha1(source));
        }

        /** Runs it by its SHA, sending its source when Redis does not know it (a fresh or restarted Redis). */
        Object run(UnifiedJedis commands, List<String> keys, List<String> args) {
            try {
                try {
                    return commands.evalsha(sha, keys, args);
                } catch (JedisNoScriptException e) {
                    return commands.eval(source, keys, args);
                }
            } catch (JedisException e) {
                throw RedisBroker.unavailable(e);
            }
        }

        private static String sha1(String text) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(digest);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
