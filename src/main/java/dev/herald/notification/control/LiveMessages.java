package dev.herald.notification.control;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import java.lang.System.Logger.Level;

/**
 * What arrives on a node's live channels, whichever subscriber heard it: {@code <id> <payload>} on a stream's channel,
 * as the publish script sends it, for the listener; a probe on this node's probe channel, for its {@link Canary};
 * another node's probe, ignored.
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
        if (!canary.isHealthy()) {
            trusted = false;
        }
        if (!trusted) {
            return; // the catch-up after the next subscription brings it (see above)
        }
        try {
            String name = RedisKeys.channelName(channel);
            int space = message.indexOf(' ');
            if (name != null) {
                listener.deliver(Notification.of(Stream.named(name), NotificationId.parse(message.substring(0, space)),
                        message.substring(space + 1)));
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Ignored a malformed message on " + channel, e);
        }
    }
}
