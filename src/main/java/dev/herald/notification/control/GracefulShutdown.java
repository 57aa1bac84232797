package dev.herald.notification.control;

import dev.herald.notification.entity.CloseCode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Closes a stopping node's sessions with 1001 ("reconnect with since") spread over
 * {@code herald.shutdown.close-window}, so clients do not all reconnect to the other nodes at the same
 * instant. Live delivery continues to the sessions not yet closed.
 */
@ApplicationScoped
public class GracefulShutdown {

    private static final System.Logger LOG = System.getLogger(GracefulShutdown.class.getName());
    private static final int CLOSE_STEPS = 20;

    private Duration closeWindow;

    protected GracefulShutdown() {
        // for CDI
    }

    @Inject
    GracefulShutdown(@ConfigProperty(name = "herald.shutdown.close-window") Duration closeWindow) {
        this.closeWindow = closeWindow;
    }

    void close(List<Outbox> open) {
        LOG.log(Level.INFO, "Shutting down: closing {0} session(s) over {1} ms", open.size(), closeWindow.toMillis());
        int steps = Math.min(open.size(), CLOSE_STEPS);
        for (int step = 0; step < steps; step++) {
            if (step > 0) {
                LockSupport.parkNanos(closeWindow.toNanos() / steps);
            }
            for (Outbox outbox : open.subList(open.size() * step / steps, open.size() * (step + 1) / steps)) {
                outbox.close(CloseCode.GOING_AWAY, "server shutting down; reconnect with since");
            }
        }
    }
}
