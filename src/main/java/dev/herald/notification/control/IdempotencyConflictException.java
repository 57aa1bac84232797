package dev.herald.notification.control;

import dev.herald.problem.entity.BadInputException;
import java.time.Duration;

/**
 * An idempotency key came back with another notification (another body for the same recipient) within its ttl:
 * nothing of the call was published. Bad input answered 422 (Unprocessable Content): the request is well-formed, but
 * contradicts the one its key already names.
 */
public class IdempotencyConflictException extends BadInputException {

    private final int index;

    /** @param index the conflicting publication's position in the call */
    IdempotencyConflictException(int index, Duration ttl) {
        super(422, "this idempotency key was used within the last " + ttl + " (herald.publish.idempotency-ttl) for another "
                + "notification to this recipient: a retry must repeat the same body, a new notification needs a new key");
        this.index = index;
    }

    private IdempotencyConflictException(int index, String message) {
        super(422, message);
        this.index = index;
    }

    /** The same conflict, its message prefixed with where it is, e.g. a batch item's position as posted. */
    public IdempotencyConflictException in(String where) {
        return new IdempotencyConflictException(index, where + ": " + getMessage());
    }

    /** The conflicting publication's position in the broker call (0 for a single publish). */
    public int index() {
        return index;
    }
}
