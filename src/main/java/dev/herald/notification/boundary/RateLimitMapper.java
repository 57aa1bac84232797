package dev.herald.notification.boundary;

import dev.herald.notification.control.RateLimitedException;
import dev.herald.problem.boundary.Problem;
import dev.herald.problem.boundary.ProblemMapper;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** Over the caller's publish rate: 429 with Retry-After in whole seconds (at least 1). */
@Provider
public class RateLimitMapper implements ExceptionMapper<RateLimitedException> {

    @Context
    UriInfo uriInfo;

    @Override
    public Response toResponse(RateLimitedException exception) {
        long seconds = Math.max(1, (exception.retryAfter().toMillis() + 999) / 1000);
        return Problem.of(429, exception.getMessage() + "; retry in " + seconds + " s", ProblemMapper.path(uriInfo))
                .answer(Response.status(429).header("Retry-After", seconds));
    }
}
