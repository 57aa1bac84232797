package dev.herald.notification.control;

import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import java.lang.System.Logger.Level;

/**
 * What arrives on a node's live channels, whichever subscriber heard it: {@code <id> <payload>} on a stream's channel,
 * as the publish script sends it, for the listener; a probe on this node's probe channel, for its {@link Canary};
 * another node's probe, ignored.
 */
final class LiveMessages {

    private static final System.Logger LOG = System.getLogger(LiveMessages.class.getName());

    private final String probeChannel;
    private final Canary canary;

    LiveMessages(String probeChannel, Canary canary) {
        this.probeChannel = probeChannel;
        this.canary = canary;
    }

    String probeChannel() {
        return probeChannel;
    }

    /** Runs on the subscriber's thread: must stay trivial. */
    void dispatch(String channel, String message, Broker.Listener listener) {
        if (RedisKeys.isProbeChannel(channel)) {
            if (channel.equals(probeChannel)) {
                canary.arrived(message);
            }
            return;
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
