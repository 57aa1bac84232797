package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.control.Telemetry;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
import dev.herald.security.boundary.Guard;
import dev.herald.security.entity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.ClientErrorException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/** The seed's routes: publish to everyone or to one user, and read a user's history. */
@Path("/")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "jwt")
@APIResponse(responseCode = "400", description = "Bad userId, limit or after; a body that is not a JSON object or sets id/ts",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "No valid bearer token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "403", description = "The token's user may not do this (group, or another user's history)",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "503", description = "The broker (Redis) is unreachable: nothing was stored or sent; retry",
        headers = @Header(name = "Retry-After", schema = @Schema(type = SchemaType.INTEGER)),
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class NotificationResource {

    /** The 202 answer to a publish. */
    @Schema(name = "Accepted")
    public record Accepted(
            @Schema(example = "Notification sent to user 42") String detail,
            @Schema(description = "The notification's id: resume from it with ?since=", example = "1795521056811-0") String id) {
    }

    private static final String NOTIFICATION_EXAMPLE = """
            {"title": "New Order", "message": "Order #12345 placed", "user_id": 42}""";
    private static final String HISTORY_EXAMPLE = """
            [{"id": "1795521056811-0", "ts": "2026-11-24T11:50:56.811Z", "title": "New Order", "message": "Order #12345 placed"}]""";

    private static final String BATCH_EXAMPLE = """
            [{"userId": "42", "notification": {"title": "New Order", "message": "Order #12345 placed"}},
             {"userId": "7", "notification": {"title": "Shipped", "message": "Order #12011 shipped"}}]""";

    private static final String USER_ID = "1 to 128 characters of A-Z a-z 0-9 . _ @ : -";

    @Inject
    Broker broker;

    @Inject
    Telemetry telemetry;

    @Inject
    Guard guard;

    @Inject
    @ConfigProperty(name = "herald.publish.rate-limit")
    int rateLimit;

    @Inject
    @ConfigProperty(name = "herald.publish.burst")
    int burst;

    @Context
    SecurityContext security;

    @Inject
    @ConfigProperty(name = "herald.max-payload-bytes")
    int maxPayloadBytes;

    @Inject
    @ConfigProperty(name = "herald.history.size")
    int historySize;

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
    @RequestBody(required = true, description = "Any JSON object without top-level \"id\" or \"ts\"; every field reaches clients unchanged",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT),
                    examples = @ExampleObject(name = "seed", value = NOTIFICATION_EXAMPLE)))
    @APIResponse(responseCode = "202", description = "Stored and published",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Accepted.class)))
    @APIResponse(responseCode = "413", description = "Body larger than herald.max-payload-bytes",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "415", description = "Content-Type is not application/json",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "504", description = "Redis did not confirm the publish: it may or may not have been "
            + "stored and delivered; check the history before publishing it again",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "429", description = "Over the caller's publish rate limit; see Retry-After",
            headers = @Header(name = "Retry-After", schema = @Schema(type = SchemaType.INTEGER)),
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response broadcast(@Parameter(hidden = true) InputStream body, @Context HttpHeaders headers) {
        Caller caller = guard.publisher(security, headers);
        Notification sent = publish(caller, Stream.BROADCAST, payload(body, headers));
        return Response.accepted(new Accepted("Notification queued", sent.id().toString())).build();
    }

    @POST
    @Path("notify/{userId}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Publish to one user",
            description = "Stores the object in the user's history and sends it to every open session of that user "
                    + "on /ws/notifications/{userId}.")
    @RequestBody(required = true, description = "Any JSON object without top-level \"id\" or \"ts\"; every field reaches clients unchanged",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT),
                    examples = @ExampleObject(name = "seed", value = NOTIFICATION_EXAMPLE)))
    @APIResponse(responseCode = "202", description = "Stored and published",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Accepted.class)))
    @APIResponse(responseCode = "413", description = "Body larger than herald.max-payload-bytes",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "415", description = "Content-Type is not application/json",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "504", description = "Redis did not confirm the publish: it may or may not have been "
            + "stored and delivered; check the history before publishing it again",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "429", description = "Over the caller's publish rate limit; see Retry-After",
            headers = @Header(name = "Retry-After", schema = @Schema(type = SchemaType.INTEGER)),
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response notifyUser(@PathParam("userId") @Parameter(description = USER_ID, example = "42", required = true) String userId,
                               @Parameter(hidden = true) InputStream body,
                               @Context HttpHeaders headers) {
        Caller caller = guard.publisher(security, headers);
        Stream stream = userStream(userId);
        Notification sent = publish(caller, stream, payload(body, headers));
        return Response.accepted(new Accepted("Notification sent to user " + userId, sent.id().toString())).build();
    }

    /** The answer to a batch: one result per item, in the order posted. */
    @Schema(name = "BatchAccepted")
    public record BatchAccepted(
            @Schema(description = "Items stored and published") int accepted,
            @Schema(description = "Items refused; nothing of them was stored") int rejected,
            List<ItemResult> results) {
    }

    /** One item's result: 202 and its id, or the status and detail of why it was refused. */
    @Schema(name = "BatchItemResult")
    public record ItemResult(
            @Schema(example = "202") int status,
            @Schema(description = "Set when accepted", example = "1795521056811-0") String id,
            @Schema(description = "Set when refused", example = "item 3: \"userId\" must be a string") String detail) {
    }

    @POST
    @Path("notify-batch")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Publish many per-user notifications in one request",
            description = "Each item is stored in its user's history and sent to that user's sessions, with its own id, "
                    + "in the order posted; the valid items are published as one step in the broker. Invalid items are "
                    + "refused one by one (their index in the detail) without affecting the others. Each item takes one "
                    + "permit of the caller's rate limit.")
    @RequestBody(required = true, description = "A JSON array of {\"userId\": …, \"notification\": {…}}, at most herald.batch.max-items",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.ARRAY),
                    examples = @ExampleObject(name = "two users", value = BATCH_EXAMPLE)))
    @APIResponse(responseCode = "202", description = "Every item stored and published",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = BatchAccepted.class)))
    @APIResponse(responseCode = "207", description = "Some items refused (see each result); the others stored and published",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = BatchAccepted.class)))
    @APIResponse(responseCode = "413", description = "Body larger than herald.batch.max-bytes, or more items than herald.batch.max-items",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "504", description = "Redis did not confirm the publish: the whole batch may or may not have "
            + "been stored and delivered; check the history before publishing it again",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "429", description = "Not enough of the caller's publish rate limit left for the batch; see Retry-After",
            headers = @Header(name = "Retry-After", schema = @Schema(type = SchemaType.INTEGER)),
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response batch(@Parameter(hidden = true) InputStream body, @Context HttpHeaders headers) {
        Caller caller = guard.publisher(security, headers);
        // a batch takes one permit per item at once: one larger than the burst could never pass
        List<Batch.Item> items = Batch.parse(read(body, headers, batchMaxBytes, "herald.batch.max-bytes"),
                Math.min(batchMaxItems, burst), burst < batchMaxItems ? "herald.publish.burst" : "herald.batch.max-items",
                maxPayloadBytes);
        List<Broker.Publication> valid = items.stream().map(Batch.Item::publication).filter(Objects::nonNull).toList();
        Iterator<Notification> published = publish(caller, valid).iterator();
        List<ItemResult> results = items.stream()
                .map(item -> new ItemResult(item.status(),
                        item.publication() == null ? null : published.next().id().toString(), item.detail()))
                .toList();
        int rejected = items.size() - valid.size();
        return Response.status(rejected == 0 ? 202 : 207).entity(new BatchAccepted(valid.size(), rejected, results)).build();
    }

    @GET
    @Path("history/{userId}")
    @Operation(summary = "A user's stored notifications, oldest first",
            description = "Without after: the newest `limit`. With after: the first `limit` after that id (page forward).")
    @APIResponse(responseCode = "200", description = "The frames clients received, oldest first",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(type = SchemaType.ARRAY, implementation = Object.class),
                    examples = @ExampleObject(name = "history", value = HISTORY_EXAMPLE)))
    public String history(@PathParam("userId") @Parameter(description = USER_ID, example = "42", required = true) String userId,
                          @QueryParam("limit") @Parameter(description = "1 to herald.history.size (the default)",
                                  schema = @Schema(type = SchemaType.INTEGER, minimum = "1")) String limit,
                          @QueryParam("after") @Parameter(description = "an id: return what came after it",
                                  example = "1795521056811-0") String after,
                          @Context HttpHeaders headers) {
        Stream stream = userStream(userId);
        guard.reader(security, headers, userId);
        return broker.history(stream, afterId(after), limit(limit)).stream()
                .map(Notification::frame)
                .collect(Collectors.joining(",", "[", "]"));
    }

    private Notification publish(Caller caller, Stream stream, Payload payload) {
        return publish(caller, List.of(new Broker.Publication(stream, payload))).get(0);
    }

    private List<Notification> publish(Caller caller, List<Broker.Publication> publications) {
        if (publications.isEmpty()) {
            return List.of();
        }
        Duration wait = broker.takePermits(caller.userId(), publications.size(), rateLimit, burst);
        if (!wait.isZero()) {
            long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
            throw new ClientErrorException("over the publish rate limit (herald.publish.rate-limit " + rateLimit
                    + "/s, burst " + burst + "); retry in " + seconds + " s",
                    Response.status(429).header("Retry-After", seconds).build());
        }
        long start = System.nanoTime();
        List<Notification> sent = broker.publish(publications);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        sent.forEach(notification -> telemetry.published(notification.stream(), took));
        return sent;
    }

    private static Stream userStream(String userId) {
        try {
            return Stream.user(userId);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage());
        }
    }

    private static NotificationId afterId(String after) {
        try {
            return after == null ? null : NotificationId.parse(after);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("after: " + e.getMessage());
        }
    }

    private int limit(String limit) {
        if (limit == null) {
            return historySize;
        }
        try {
            int value = Integer.parseInt(limit);
            if (value >= 1) {
                return Math.min(value, historySize);
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new BadRequestException("limit must be a whole number from 1 to " + historySize);
    }

    private Payload payload(InputStream body, HttpHeaders headers) {
        try {
            return Payload.parse(new String(read(body, headers, maxPayloadBytes, "herald.max-payload-bytes"), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage());
        }
    }

    /** Reads at most {@code limit} bytes before parsing anything: a larger body is refused unread. */
    private static byte[] read(InputStream body, HttpHeaders headers, int limit, String setting) {
        if (headers.getMediaType() == null) {
            // JAX-RS would match a request without Content-Type to any @Consumes: say what is expected instead.
            throw new NotSupportedException("send the body with Content-Type: application/json");
        }
        if (headers.getLength() > limit) {
            throw tooLarge(limit, setting);
        }
        try {
            byte[] bytes = body.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw tooLarge(limit, setting);
            }
            return bytes;
        } catch (IOException e) {
            throw new BadRequestException("the body could not be read: " + e.getMessage());
        }
    }

    private static ClientErrorException tooLarge(int limit, String setting) {
        return new ClientErrorException("the body is larger than " + limit + " bytes (" + setting + ")",
                Response.Status.REQUEST_ENTITY_TOO_LARGE);
    }
}
