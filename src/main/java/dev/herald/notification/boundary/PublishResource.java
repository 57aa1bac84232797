package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.control.Publishing;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.Stream;
import dev.herald.security.boundary.Guard;
import dev.herald.security.entity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * The seed's publish routes, and a batch of them: the caller must be a publisher; {@link Publishing} does the rest.
 * Bodies, answers and examples are in {@code META-INF/openapi.yaml}; {@link OpenApiErrors} lists the error answers.
 */
@Path("/")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
public class PublishResource {

    /** The answer to a batch (schema "BatchAccepted"). */
    public record BatchAccepted(int accepted, int rejected, List<ItemResult> results) {
    }

    /** One item's result (schema "BatchItemResult"). */
    public record ItemResult(int status, String id, String detail) {
    }

    private static final String USER_ID = "1 to 128 characters of A-Z a-z 0-9 . _ @ : -";

    @Inject
    Publishing publishing;

    @Inject
    Guard guard;

    @Inject
    @ConfigProperty(name = "herald.max-payload-bytes")
    int maxPayloadBytes;

    @Inject
    @ConfigProperty(name = "herald.batch.max-items")
    int batchMaxItems;

    @Inject
    @ConfigProperty(name = "herald.batch.max-bytes")
    int batchMaxBytes;

    @POST
    @Path("notify")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Publish to everyone",
            description = "Stores the object in the broadcast history and sends it to every client on /ws/notifications.")
    @RequestBody(ref = "Notification")
    @APIResponse(responseCode = "202", ref = "Accepted")
    public Response broadcast(@Parameter(hidden = true) InputStream body, @Context HttpHeaders headers) {
        Caller caller = guard.publisher(headers);
        Notification sent = publishing.publish(caller, Stream.BROADCAST, RequestBodies.payload(body, headers, maxPayloadBytes));
        return accepted("Notification queued", sent);
    }

    @POST
    @Path("notify/{userId}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Publish to one user",
            description = "Stores the object in the user's history and sends it to every open session of that user "
                    + "on /ws/notifications/{userId}.")
    @RequestBody(ref = "Notification")
    @APIResponse(responseCode = "202", ref = "Accepted")
    public Response notifyUser(@PathParam("userId") @Parameter(description = USER_ID, example = "42", required = true) String userId,
                               @Parameter(hidden = true) InputStream body,
                               @Context HttpHeaders headers) {
        Caller caller = guard.publisher(headers);
        Stream stream = userStream(userId);
        Notification sent = publishing.publish(caller, stream, RequestBodies.payload(body, headers, maxPayloadBytes));
        return accepted("Notification sent to user " + userId, sent);
    }

    @POST
    @Path("notify-batch")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Publish many per-user notifications in one request",
            description = "Each item is stored in its user's history and sent to that user's sessions, with its own id, "
                    + "in the order posted; the valid items are published as one step in the broker. Invalid items are "
                    + "refused one by one (their index in the detail) without affecting the others. Each item takes one "
                    + "permit of the caller's rate limit.")
    @RequestBody(ref = "Batch")
    @APIResponse(responseCode = "202", ref = "BatchAccepted")
    @APIResponse(responseCode = "207", ref = "BatchPartlyAccepted")
    public Response batch(@Parameter(hidden = true) InputStream body, @Context HttpHeaders headers) {
        Caller caller = guard.publisher(headers);
        List<Batch.Item> items = Batch.parse(RequestBodies.read(body, headers, batchMaxBytes, "herald.batch.max-bytes"),
                publishing.maxBatchItems(batchMaxItems), publishing.maxBatchItemsSetting(batchMaxItems), maxPayloadBytes);
        List<Broker.Publication> valid = items.stream().map(Batch.Item::publication).filter(Objects::nonNull).toList();
        Iterator<Notification> published = publishing.publish(caller, valid).iterator();
        List<ItemResult> results = items.stream()
                .map(item -> new ItemResult(item.status(),
                        item.publication() == null ? null : published.next().id().toString(), item.detail()))
                .toList();
        int rejected = items.size() - valid.size();
        return Response.status(rejected == 0 ? 202 : 207).entity(new BatchAccepted(valid.size(), rejected, results)).build();
    }

    /**
     * The 202 answer to a publish (schema "Accepted"), written out here rather than by JSON-B (the one answer on
     * the hot path): the detail holds only a user id (no character that needs escaping in JSON), the id is digits
     * and a dash.
     */
    private static Response accepted(String detail, Notification sent) {
        return Response.accepted("{\"detail\":\"" + detail + "\",\"id\":\"" + sent.id() + "\"}").build();
    }

    static Stream userStream(String userId) {
        try {
            return Stream.user(userId);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage());
        }
    }
}
