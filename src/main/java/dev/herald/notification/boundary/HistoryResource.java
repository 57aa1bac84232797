package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.Stream;
import dev.herald.security.boundary.Guard;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
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
 * A user's stored notifications, for the user themself, and a group's, for its members; admins read both. The
 * frames the sockets received. Answers and examples are in {@code META-INF/openapi.yaml}; {@link OpenApiErrors} lists
 * the error answers.
 */
@Path("history")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
public class HistoryResource {

    static final String LIMIT = "1 to herald.history.size (the default)";
    static final String AFTER = "an id: return what came after it";
    static final String EXAMPLE_ID = "1795521056811-0";

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
    public String history(@PathParam("userId") @Parameter(description = PublishResource.ID_RULE, example = "42", required = true) String userId,
                          @QueryParam("limit") @Parameter(description = LIMIT,
                                  schema = @Schema(type = SchemaType.INTEGER, minimum = "1")) String limit,
                          @QueryParam("after") @Parameter(description = AFTER, example = EXAMPLE_ID) String after,
                          @Context HttpHeaders headers) {
        Stream stream = Stream.user(userId);
        guard.reader(headers, userId);
        return history(stream, after, limit);
    }

    @GET
    @Path("group/{group}")
    @Operation(summary = "A group's stored notifications, oldest first",
            description = "For the group's members (tokens whose groups claim holds herald.channels.group-prefix + the group, "
                    + "group:<group> by default) and admins. Without after: the newest `limit`. With after: the first `limit` "
                    + "after that id (page forward).")
    @APIResponse(responseCode = "200", ref = "History")
    public String groupHistory(@PathParam("group") @Parameter(description = PublishResource.ID_RULE, example = "region:us", required = true) String group,
                               @QueryParam("limit") @Parameter(description = LIMIT,
                                       schema = @Schema(type = SchemaType.INTEGER, minimum = "1")) String limit,
                               @QueryParam("after") @Parameter(description = AFTER, example = EXAMPLE_ID) String after,
                               @Context HttpHeaders headers) {
        Stream stream = Stream.group(group);
        guard.groupReader(headers, group);
        return history(stream, after, limit);
    }

    private String history(Stream stream, String after, String limit) {
        return broker.history(stream, Paging.after(after), Paging.limit(limit, historySize)).stream()
                .map(Notification::frame)
                .collect(Collectors.joining(",", "[", "]"));
    }
}
