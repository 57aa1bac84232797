package dev.herald.notification.boundary;

import dev.herald.notification.control.BrokerUnavailableException;
import dev.herald.notification.control.PublishOutcomeUnknownException;
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

/** Every error leaves as RFC 9457 {@code application/problem+json}; never a stack trace. */
@Provider
public class ProblemMapper implements ExceptionMapper<Exception> {

    private static final System.Logger LOG = System.getLogger(ProblemMapper.class.getName());

    @Context
    UriInfo uriInfo;

    @Context
    Request request;

    @Override
    public Response toResponse(Exception exception) {
        if (exception instanceof WebApplicationException web) {
            Response original = web.getResponse();
            LOG.log(Level.INFO, "Refused {0} {1}: {2} {3}", request == null ? "" : request.getMethod(),
                    uriInfo == null ? "" : uriInfo.getRequestUri().getRawPath(), original.getStatus(), web.getMessage());
            return problem(Response.fromResponse(original), original.getStatus(), detail(web));
        }
        if (exception instanceof PublishOutcomeUnknownException) {
            LOG.log(Level.WARNING, "Unconfirmed {0} {1}: 504 {2}", request == null ? "" : request.getMethod(),
                    uriInfo == null ? "" : uriInfo.getRequestUri().getRawPath(), exception.getMessage());
            return problem(Response.status(504), 504, "the broker (Redis) did not confirm the publish: it may or may not "
                    + "have been stored and delivered; check the history before publishing it again");
        }
        if (exception instanceof BrokerUnavailableException) {
            LOG.log(Level.WARNING, "Refused {0} {1}: 503 {2}", request == null ? "" : request.getMethod(),
                    uriInfo == null ? "" : uriInfo.getRequestUri().getRawPath(), exception.getMessage());
            return problem(Response.status(503).header("Retry-After", "1"), 503,
                    "the broker (Redis) is unreachable; nothing was published; retry shortly");
        }
        LOG.log(Level.ERROR, "Unexpected failure", exception);
        return problem(Response.serverError(), 500, "an unexpected error occurred; it has been logged");
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

    private Response problem(Response.ResponseBuilder response, int status, String detail) {
        Problem problem = Problem.of(status, detail, uriInfo == null ? null : uriInfo.getRequestUri().getRawPath());
        return response.status(status).entity(problem.toJson()).type(Problem.MEDIA_TYPE).build();
    }
}
