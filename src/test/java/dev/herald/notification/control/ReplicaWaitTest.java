package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The settings a replica wait accepts: WAIT with no timeout would block a request thread for as long as Redis likes. */
class ReplicaWaitTest {

    @Test
    void zeroReplicasIsNoWait() {
        assertFalse(ReplicaWait.NONE.isRequired());
        assertTrue(new ReplicaWait(1, Duration.ofMillis(100)).isRequired());
    }

    @Test
    void aNegativeCountOrATimeoutUnderAMillisecondIsRefusedAtStart() {
        assertThrows(IllegalStateException.class, () -> new ReplicaWait(-1, Duration.ofMillis(100)));
        assertThrows(IllegalStateException.class, () -> new ReplicaWait(1, Duration.ZERO));
        assertThrows(IllegalStateException.class, () -> new ReplicaWait(1, Duration.ofNanos(999_999)));
    }
}
