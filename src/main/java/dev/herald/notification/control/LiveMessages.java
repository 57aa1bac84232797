package dev.herald.notification.control;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What arrives on a node's live channels, whichever subscriber heard it: {@code <id> <payload>} on a stream's channel,
 * as the publish script sends it (one that expires: {@code <id>/<expiry> <payload>}), for the listener; {@code !<counts and change>} on a user's channel, a change of
 * that user's inbox ({@link RedisInboxScripts#FUNCTIONS}), for the listener too; a probe on this node's probe channel,
 * for its {@link Canary}; another node's probe, ignored.
 * <p>
 * Live notifications are dropped from the moment the canary finds live delivery broken until a subscription made
 * after it recovered is confirmed. A session sends only ids after the last one it sent, so the first notification to
 * come through again after a silent gap (a replica that resynced, say) would otherwise carry the session past the gap,
 * and no catch-up could fill it: FailoverChaosIT lost the notifications published during a replica's resync this
 * way. Dropped ones are not lost: the catch-up that follows that subscription replays everything after each session's
 * last id, the gap included.
 */
final class LiveMessages {

    private static final System.Logger LOG = System.getLogger(LiveMessages.class.getName());

    /** Starts a change of a user's inbox; a notification starts with its id's digits. */
    private static final String INBOX_CHANGE = "!";
    private static final String NONE = "-";

    private final String probeChannel;
    private final Canary canary;
    /** False from a canary trip until a subscription confirmed while the canary is healthy again. */
    private volatile boolean trusted = true;

    LiveMessages(String probeChannel, Canary canary) {
        this.probeChannel = probeChannel;
        this.canary = canary;
    }

    String probeChannel() {
        return probeChannel;
    }

    /**
     * A subscriber's subscription was confirmed, before it tells its listener (which then catches sessions up): live
     * notifications are trusted again if the canary is healthy.
     */
    void subscribed() {
        if (canary.isHealthy()) {
            trusted = true;
        }
    }

    /** Runs on the subscriber's thread: must stay trivial. */
    void dispatch(String channel, String message, Broker.Listener listener) {
        if (RedisKeys.isProbeChannel(channel)) {
            if (channel.equals(probeChannel)) {
                canary.arrived(message);
            }
            return;
        }
        if (message.startsWith(INBOX_CHANGE)) {
            // not held back while untrusted: counts are absolute, so a late one carries nobody past anything
            tellInbox(channel, message, listener);
            return;
        }
        if (!canary.isHealthy()) {
            trusted = false;
        }
        if (!trusted) {
            return; // the catch-up after the next subscription brings it (see above)
        }
        try {
            String name = RedisKeys.channelName(channel);
            if (name != null) {
                listener.deliver(notification(Stream.named(name), message));
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Ignored a malformed message on " + channel, e);
        }
    }

    /** {@code <id> <payload>}, or {@code <id>/<expiry in epoch ms> <payload>} for one that expires. */
    static Notification notification(Stream stream, String message) {
        int space = message.indexOf(' ');
        int slash = message.lastIndexOf('/', space);
        if (slash < 0) {
            return Notification.of(stream, NotificationId.parse(message.substring(0, space)), message.substring(space + 1));
        }
        return Notification.of(stream, NotificationId.parse(message.substring(0, slash)), message.substring(space + 1))
                .expiringAt(Long.parseLong(message.substring(slash + 1, space)));
    }

    private static void tellInbox(String channel, String message, Broker.Listener listener) {
        try {
            listener.inboxChanged(inboxEvent(Stream.named(RedisKeys.channelName(channel)).userId(), message));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Ignored a malformed inbox change on " + channel, e);
        }
    }

    /** {@code !<unread> <unseen> <total> <change> <mark or -> <up-to id or ->[ <id>...]}, as the scripts send it. */
    static Inbox.Event inboxEvent(String userId, String message) {
        String[] parts = message.substring(INBOX_CHANGE.length()).split(" ");
        Inbox.Counts counts = new Inbox.Counts(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2]));
        Inbox.Mark mark = NONE.equals(parts[4]) ? null : Inbox.Mark.valueOf(parts[4]);
        NotificationId upTo = NONE.equals(parts[5]) ? null : NotificationId.parse(parts[5]);
        List<NotificationId> ids = Arrays.stream(parts, 6, parts.length).map(NotificationId::parse).toList();
        return new Inbox.Event(userId, counts, Inbox.Change.valueOf(parts[3].toUpperCase(Locale.ROOT)), mark, ids, upTo);
    }
}
