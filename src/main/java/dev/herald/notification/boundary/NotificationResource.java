package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Payload;
import dev.herald.notification.entity.Stream;
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
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** The seed's routes: publish to everyone or to one user, and read a user's history. */
@Path("/")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
public class NotificationResource {

    /** The 202 answer to a publish. */
    public record Accepted(String detail, String id) {
    }

    @Inject
    Broker broker;

    @Inject
    @ConfigProperty(name = "herald.max-payload-bytes")
    int maxPayloadBytes;

    @Inject
    @ConfigProperty(name = "herald.history.size")
    int historySize;

    @POST
    @Path("notify")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response broadcast(InputStream body, @jakarta.ws.rs.core.Context HttpHeaders headers) {
        Notification sent = broker.publish(Stream.BROADCAST, payload(body, headers));
        return Response.accepted(new Accepted("Notification queued", sent.id().toString())).build();
    }

    @POST
    @Path("notify/{userId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response notifyUser(@PathParam("userId") String userId, InputStream body,
                               @jakarta.ws.rs.core.Context HttpHeaders headers) {
        Stream stream = userStream(userId);
        Notification sent = broker.publish(stream, payload(body, headers));
        return Response.accepted(new Accepted("Notification sent to user " + userId, sent.id().toString())).build();
    }

    @GET
    @Path("history/{userId}")
    public String history(@PathParam("userId") String userId, @QueryParam("limit") String limit,
                          @QueryParam("after") String after) {
        return broker.history(userStream(userId), afterId(after), limit(limit)).stream()
                .map(Notification::frame)
                .collect(Collectors.joining(",", "[", "]"));
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
