package dev.herald.security.control;

import dev.herald.security.entity.Caller;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Tokens verified recently, so a service that reuses one token for many publishes, and a browser that opens
 * sockets with the same token, pay for the signature check and the claims parse once a minute instead of on
 * every request. Keyed by the whole compact token: the same string is the same header, claims and signature
 * bytes that were verified. An entry is used until {@link #LIFETIME} after it was verified or until the token's
 * {@code exp}, whichever comes first, checked on every hit; after that the token is verified afresh (and then
 * refused if it expired or was signed with a key no longer trusted). {@code nbf} needs no check on a hit: a token
 * whose {@code nbf} had not come was refused, never cached, and a time once reached stays reached. Refused tokens
 * are not kept. Lapsed entries go at the first {@link #put} a lifetime after the last such sweep (a token is some
 * hundred bytes, and thousands of sockets bring thousands of tokens), and at most {@link #MAX_ENTRIES} are kept:
 * when full, lapsed entries go, and if none had lapsed all go.
 */
final class VerifiedTokens {

    static final Duration LIFETIME = Duration.ofSeconds(60);
    static final int MAX_ENTRIES = 10_000;

    private record Entry(Caller caller, Instant usableUntil) {
    }

    private final ConcurrentMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final Clock clock;
    private volatile Instant nextSweep;

    VerifiedTokens(Clock clock) {
        this.clock = clock;
        this.nextSweep = clock.instant().plus(LIFETIME);
    }

    /** The caller a token was verified as, or null when it was not verified within its entry's lifetime. */
    Caller get(String token) {
        Entry entry = entries.get(token);
        if (entry == null) {
            return null;
        }
        if (clock.instant().isBefore(entry.usableUntil())) {
            return entry.caller();
        }
        entries.remove(token, entry);
        return null;
    }

    /** Keeps a caller just verified from {@code token}. */
    void put(String token, Caller caller) {
        Instant now = clock.instant();
        Instant until = now.plus(LIFETIME);
        if (caller.expiresAt().isBefore(until)) {
            until = caller.expiresAt();
        }
        if (!now.isBefore(until)) {
            return;
        }
        if (!now.isBefore(nextSweep)) {
            nextSweep = now.plus(LIFETIME);
            removeLapsed(now);
        }
        if (entries.size() >= MAX_ENTRIES) {
            removeLapsed(now);
            if (entries.size() >= MAX_ENTRIES) {
                entries.clear();
            }
        }
        entries.put(token, new Entry(caller, until));
    }

    private void removeLapsed(Instant now) {
        entries.values().removeIf(entry -> !now.isBefore(entry.usableUntil()));
    }

    int size() {
        return entries.size();
    }
}
