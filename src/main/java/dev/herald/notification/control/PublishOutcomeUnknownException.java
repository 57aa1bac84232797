package dev.herald.notification.control;

/**
 * A publish was sent to the broker but never confirmed (the answer timed out, or the connection broke while
 * waiting for it): the notification may or may not have been stored, and if it was, it is delivered. Unlike
 * {@link BrokerUnavailableException}'s other cases, a blind retry can deliver it twice.
 */
public class PublishOutcomeUnknownException extends BrokerUnavailableException {

    public PublishOutcomeUnknownException(String message, Throwable cause) {
        super(message, cause);
    }
}
