package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import dev.herald.security.boundary.Guard;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * A user's stored notifications, for the user themself or an admin: the frames the sockets received. Answers and
 * examples are in {@code META-INF/openapi.yaml}; {@link OpenApiErrors} lists the error answers.
 */
@Path("history")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
public class HistoryResource {

    @Inject
    Broker broker;

    @Inject
    Guard guard;

    @Inject
    @ConfigProperty(name = "herald.history.size")
    int historySize;

    @GET
    @Path("{userId}")
    @Operation(summary = "A user's stored notifications, oldest first",
            description = "Without after: the newest `limit`. With after: the first `limit` after that id (page forward).")
    @APIResponse(responseCode = "200", ref = "History")
    public String history(@PathParam("userId") @Parameter(description = "1 to 128 characters of A-Z a-z 0-9 . _ @ : -",
                                  example = "42", required = true) String userId,
                          @QueryParam("limit") @Parameter(description = "1 to herald.history.size (the default)",
                                  schema = @Schema(type = SchemaType.INTEGER, minimum = "1")) String limit,
                          @QueryParam("after") @Parameter(description = "an id: return what came after it",
                                  example = "1795521056811-0") String after,
                          @Context HttpHeaders headers) {
        Stream stream = PublishResource.userStream(userId);
        guard.reader(headers, userId);
        return broker.history(stream, afterId(after), limit(limit)).stream()
                .map(Notification::frame)
                .collect(Collectors.joining(",", "[", "]"));
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
}
