package dev.herald.security.control;

/** A token that does not identify anyone: malformed, unsigned, badly signed, expired, or not ours. */
public class InvalidTokenException extends Exception {

    public InvalidTokenException(String message) {
        super(message);
    }
}
