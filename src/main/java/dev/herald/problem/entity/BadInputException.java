package dev.herald.problem.entity;

/**
 * Something a client sent that Herald refuses, with a message that says what is wrong: a 400 problem (413 when it
 * is over a stated size limit) at the REST boundary, a refused handshake or a 1008 close on a socket. The one
 * exception a parse of client input may end in, so that nothing a client sends can surface as a 500 (it stays an
 * {@link IllegalArgumentException} for callers that already treat those as bad input).
 */
public class BadInputException extends IllegalArgumentException {

    private final int status;

    public BadInputException(String message) {
        this(400, message);
    }

    /** @param status the 4xx that answers it, for refusals that are neither 400 nor 413 */
    protected BadInputException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** Over a limit the message names (413 Content Too Large). */
    public static BadInputException tooLarge(String message) {
        return new BadInputException(413, message);
    }

    /** The HTTP status that answers it: 400, 413 for a size limit, or what a subclass says. */
    public int status() {
        return status;
    }
}
