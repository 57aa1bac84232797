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
        Duration wait = broker.takePermit(caller.userId(), rateLimit, burst);
        if (!wait.isZero()) {
            long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
            throw new ClientErrorException("over the publish rate limit (herald.publish.rate-limit " + rateLimit
                    + "/s, burst " + burst + "); retry in " + seconds + " s",
                    Response.status(429).header("Retry-After", seconds).build());
        }
        long start = System.nanoTime();
        Notification sent = broker.publish(stream, payload);
        telemetry.published(stream, Duration.ofNanos(System.nanoTime() - start));
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

    /** Reads at most the size limit before parsing anything: a larger body is refused unread. */
    private Payload payload(InputStream body, HttpHeaders headers) {
        if (headers.getMediaType() == null) {
            // JAX-RS would match a request without Content-Type to any @Consumes: say what is expected instead.
            throw new NotSupportedException("send the body with Content-Type: application/json");
        }
        if (headers.getLength() > maxPayloadBytes) {
            throw tooLarge();
        }
        try {
            byte[] bytes = body.readNBytes(maxPayloadBytes + 1);
            if (bytes.length > maxPayloadBytes) {
                throw tooLarge();
            }
            return new Payload(new String(bytes, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage());
        } catch (IOException e) {
            throw new BadRequestException("the body could not be read: " + e.getMessage());
        }
    }

    private ClientErrorException tooLarge() {
        return new ClientErrorException("the body is larger than " + maxPayloadBytes + " bytes (herald.max-payload-bytes)",
                Response.Status.REQUEST_ENTITY_TOO_LARGE);
    }
}
