package dev.herald.notification.boundary;

import dev.herald.notification.control.IdempotencyConflictException;
import dev.herald.problem.boundary.Problem;
import dev.herald.problem.boundary.ProblemMapper;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** An idempotency key reused for another notification: 422, nothing published. */
@Provider
public class IdempotencyConflictMapper implements ExceptionMapper<IdempotencyConflictException> {

    @Context
    UriInfo uriInfo;

    @Override
    public Response toResponse(IdempotencyConflictException exception) {
        return Problem.of(422, exception.getMessage(), ProblemMapper.path(uriInfo)).answer(Response.status(422));
    }
}
