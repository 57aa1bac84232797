package dev.herald.notification.control;

import java.time.Duration;

/**
 * How many Redis replicas must hold a publish before it is acknowledged ({@code herald.redis.wait-replicas}), and
 * how long to wait for them ({@code herald.redis.wait-timeout}). With replicas above 0, a failover to any of them
 * loses no acknowledged notification; a publish they do not confirm in time is answered 504 ("may have been
 * stored": the primary has it, the replicas may not).
 */
record ReplicaWait(int replicas, Duration timeout) {

    static final ReplicaWait NONE = new ReplicaWait(0, Duration.ofMillis(100));

    ReplicaWait {
        if (replicas < 0) {
            throw new IllegalStateException("herald.redis.wait-replicas must be 0 or more, not " + replicas);
        }
        // WAIT with a timeout of 0 blocks until the replicas answer, however long: never on a request thread
        if (timeout.toMillis() < 1) {
            throw new IllegalStateException("herald.redis.wait-timeout must be at least 1 ms, not " + timeout);
        }
    }

    boolean isRequired() {
        return replicas > 0;
    }
}
