package dev.herald.problem.boundary;

import dev.herald.problem.entity.BadInputException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.lang.System.Logger.Level;

/**
 * Every error leaves as RFC 9457 {@code application/problem+json}; never a stack trace. Bad client input
 * ({@link BadInputException}, whatever parse it came from) is a 400 (or 413) with its message. Components map their
 * own exceptions with mappers of their own; this one takes the rest.
 */
@Provider
public class ProblemMapper implements ExceptionMapper<Exception> {

    private static final System.Logger LOG = System.getLogger(ProblemMapper.class.getName());

    @Context
    UriInfo uriInfo;

    @Context
    Request request;

    @Override
    public Response toResponse(Exception exception) {
        if (exception instanceof BadInputException bad) {
            LOG.log(Level.DEBUG, "Refused {0}: {1} {2}", describe(request, uriInfo), bad.status(), bad.getMessage());
            return Problem.of(bad.status(), bad.getMessage(), path(uriInfo)).answer(Response.status(bad.status()));
        }
        if (exception instanceof WebApplicationException web) {
            Response original = web.getResponse();
            LOG.log(original.getStatus() >= 500 ? Level.WARNING : Level.DEBUG, "Refused {0}: {1} {2}",
                    describe(request, uriInfo), original.getStatus(), web.getMessage());
            return Problem.of(original.getStatus(), detail(web), path(uriInfo)).answer(Response.fromResponse(original));
        }
        LOG.log(Level.ERROR, "Unexpected failure", exception);
        return Problem.of(500, "an unexpected error occurred; it has been logged", path(uriInfo)).answer(Response.serverError());
    }

    /**
     * The exception's message (also in the log line above), except for 404 and 405: the JAX-RS runtime's own wording
     * differs per server and RESTEasy's (WildFly, Open Liberty) echoes the whole request URL, so these say the same
     * everywhere.
     */
    private String detail(WebApplicationException web) {
        if (web instanceof NotFoundException) {
            return "no such route";
        }
        if (web instanceof NotAllowedException) {
            return "this route does not take " + (request == null ? "this method" : request.getMethod()) + "; see Allow";
        }
        return web.getMessage();
    }

    /** The request's path, the problem's {@code instance}. */
    public static String path(UriInfo uriInfo) {
        return uriInfo == null ? null : uriInfo.getRequestUri().getRawPath();
    }

    /** "METHOD path", for a log line. */
    public static String describe(Request request, UriInfo uriInfo) {
        return (request == null ? "" : request.getMethod()) + " " + (uriInfo == null ? "" : uriInfo.getRequestUri().getRawPath());
    }
}
