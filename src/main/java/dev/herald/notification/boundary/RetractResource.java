package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.control.Inbox;
import dev.herald.notification.control.Telemetry;
import dev.herald.notification.control.Telemetry.InboxOperation;
import dev.herald.security.boundary.Guard;
import dev.herald.security.entity.UserId;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * A publisher retracting a notification sent to a user by mistake: gone from history, replay, inbox and counts, and
 * told to the user's sockets as a retraction, not as their own delete. At {@code @Path("/")} like
 * {@link PublishResource}: a root resource matched by {@code notify/{userId}/{id}} would take
 * {@code POST /notify/group/{group}} away from it (JAX-RS picks one root resource class per request).
 */
@Path("/")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
public class RetractResource {

    @Inject
    Broker broker;

    @Inject
    Guard guard;

    @Inject
    Telemetry telemetry;

    @DELETE
    @Path("notify/{userId}/{id}")
    @Operation(summary = "Retract a notification sent to a user",
            description = "For the publisher group. Removes it from the user's history, replay, inbox and counts; the user's "
                    + "herald.2 sockets are told it was retracted. 404 when the user's stream does not hold it (never did, or "
                    + "it was deleted, retracted or trimmed already).")
    @APIResponse(responseCode = "200", ref = "InboxCounts")
    @APIResponse(responseCode = "404", ref = "NotHeld")
    public String retract(@PathParam("userId") @Parameter(description = PublishResource.ID_RULE, example = "42", required = true) String userId,
                          @PathParam("id") @Parameter(description = "the id the publish answered with", example = HistoryResource.EXAMPLE_ID,
                                  required = true) String id,
                          @Context HttpHeaders headers) {
        guard.publisher(headers);
        UserId.check(userId); // 400 with the rule, before the broker is asked
        Optional<Inbox.Counts> counts = broker.inbox().delete(userId, InboxResource.notificationId(id), Inbox.Remover.PUBLISHER);
        telemetry.inboxOperation(InboxOperation.RETRACT);
        return InboxResource.json(userId, id, counts);
    }
}
