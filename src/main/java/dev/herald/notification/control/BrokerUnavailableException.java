package dev.herald.notification.control;

/** The broker could not be reached: nothing was stored or published. Clients should retry. */
public class BrokerUnavailableException extends RuntimeException {

    public BrokerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
