package dev.herald.notification.boundary;

import dev.herald.notification.control.BrokerUnavailableException;
import dev.herald.notification.control.PublishOutcomeUnknownException;
import dev.herald.problem.boundary.Problem;
import dev.herald.problem.boundary.ProblemMapper;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.lang.System.Logger.Level;

/**
 * The broker failed: 503 with Retry-After when nothing was stored (safe to retry), 504 when Redis took the publish
 * but never confirmed it (a blind retry may deliver it twice).
 */
@Provider
public class BrokerFailureMapper implements ExceptionMapper<BrokerUnavailableException> {

    private static final System.Logger LOG = System.getLogger(BrokerFailureMapper.class.getName());

    @Context
    UriInfo uriInfo;

    @Context
    Request request;

    @Override
    public Response toResponse(BrokerUnavailableException exception) {
        if (exception instanceof PublishOutcomeUnknownException) {
            LOG.log(Level.WARNING, "Unconfirmed {0}: 504 {1}", ProblemMapper.describe(request, uriInfo), exception.getMessage());
            return Problem.of(504, "the broker (Redis) did not confirm the publish: it may or may not have been stored and "
                    + "delivered; check the history before publishing it again", ProblemMapper.path(uriInfo)).answer(Response.status(504));
        }
        LOG.log(Level.WARNING, "Refused {0}: 503 {1}", ProblemMapper.describe(request, uriInfo), exception.getMessage());
        return Problem.of(503, "the broker (Redis) is unreachable; nothing was published; retry shortly", ProblemMapper.path(uriInfo))
                .answer(Response.status(503).header("Retry-After", "1"));
    }
}
