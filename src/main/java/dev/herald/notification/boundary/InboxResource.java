package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.control.Inbox;
import dev.herald.notification.control.Telemetry;
import dev.herald.notification.control.Telemetry.InboxOperation;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import dev.herald.security.boundary.Guard;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.ClientErrorException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.util.Optional;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * A user's stream as an inbox ({@link Inbox}), for the user themself or an admin: list it with each entry's state,
 * read the counts, mark entries, delete one. Every change answers with the counts after it, so a client never computes
 * them. Answers and examples are in {@code META-INF/openapi.yaml}; {@link OpenApiErrors} lists the error answers.
 */
@Path("inbox/{userId}")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
public class InboxResource {

    private static final String STATUS = "unread, unseen, archived or all; without it: every entry not archived";
    private static final String MARK = "Body {\"ids\": [\"<id>\", …]} (1 to herald.history.size ids) or {\"upTo\": \"<id>\"} "
            + "(every entry up to and including it: mark all read is upTo the newest id), exactly one of the two. Ids the "
            + "inbox does not hold are ignored. Answers with the counts after the change.";

    @Inject
    Broker broker;

    @Inject
    Guard guard;

    @Inject
    Telemetry telemetry;

    @Inject
    @ConfigProperty(name = "herald.history.size")
    int historySize;

    @GET
    @Operation(summary = "A user's inbox: stored notifications with their state, oldest first",
            description = "Entries as GET /history/{userId} returns them, each with \"read\", \"seen\" and \"archived\" added "
                    + "last (a posted field of the same name is shadowed: JSON readers keep the last). Without after: the "
                    + "newest `limit` that the status takes. With after: the first `limit` after that id (page forward).")
    @APIResponse(responseCode = "200", ref = "Inbox")
    public String list(@PathParam("userId") @Parameter(description = PublishResource.ID_RULE, example = "42", required = true) String userId,
                       @QueryParam("status") @Parameter(description = STATUS, schema = @Schema(type = SchemaType.STRING,
                               enumeration = {"unread", "unseen", "archived", "all"})) String status,
                       @QueryParam("limit") @Parameter(description = HistoryResource.LIMIT,
                               schema = @Schema(type = SchemaType.INTEGER, minimum = "1")) String limit,
                       @QueryParam("after") @Parameter(description = HistoryResource.AFTER, example = HistoryResource.EXAMPLE_ID) String after,
                       @Context HttpHeaders headers) {
        owner(userId, headers);
        String entries = broker.inbox().inbox(userId, filter(status), Paging.after(after), Paging.limit(limit, historySize)).stream()
                .map(InboxResource::json)
                .collect(Collectors.joining(",", "[", "]"));
        telemetry.inboxOperation(InboxOperation.LIST);
        return entries;
    }

    @GET
    @Path("counts")
    @Operation(summary = "A user's unread, unseen and total counts", description = "Archived entries count in none.")
    @APIResponse(responseCode = "200", ref = "InboxCounts")
    public String counts(@PathParam("userId") @Parameter(description = PublishResource.ID_RULE, example = "42", required = true) String userId,
                         @Context HttpHeaders headers) {
        owner(userId, headers);
        Inbox.Counts counts = broker.inbox().counts(userId);
        telemetry.inboxOperation(InboxOperation.COUNTS);
        return json(counts);
    }

    @POST
    @Path("read")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Marks entries read (and seen)", description = MARK)
    @RequestBody(ref = "InboxSelection")
    @APIResponse(responseCode = "200", ref = "InboxCounts")
    public String read(@PathParam("userId") @Parameter(description = PublishResource.ID_RULE, example = "42", required = true) String userId,
                       @Parameter(hidden = true) InputStream body, @Context HttpHeaders headers) {
        return mark(userId, Inbox.Mark.READ, body, headers);
    }

    @POST
    @Path("unread")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Marks entries unread (they stay seen)", description = MARK)
    @RequestBody(ref = "InboxSelection")
    @APIResponse(responseCode = "200", ref = "InboxCounts")
    public String unread(@PathParam("userId") @Parameter(description = PublishResource.ID_RULE, example = "42", required = true) String userId,
                         @Parameter(hidden = true) InputStream body, @Context HttpHeaders headers) {
        return mark(userId, Inbox.Mark.UNREAD, body, headers);
    }

    @POST
    @Path("seen")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Marks entries seen (they stay unread)", description = MARK)
    @RequestBody(ref = "InboxSelection")
    @APIResponse(responseCode = "200", ref = "InboxCounts")
    public String seen(@PathParam("userId") @Parameter(description = PublishResource.ID_RULE, example = "42", required = true) String userId,
                       @Parameter(hidden = true) InputStream body, @Context HttpHeaders headers) {
        return mark(userId, Inbox.Mark.SEEN, body, headers);
    }

    @POST
    @Path("archive")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Archives entries: they count in none and are listed only with status archived or all",
            description = MARK)
    @RequestBody(ref = "InboxSelection")
    @APIResponse(responseCode = "200", ref = "InboxCounts")
    public String archive(@PathParam("userId") @Parameter(description = PublishResource.ID_RULE, example = "42", required = true) String userId,
                          @Parameter(hidden = true) InputStream body, @Context HttpHeaders headers) {
        return mark(userId, Inbox.Mark.ARCHIVE, body, headers);
    }

    @POST
    @Path("unarchive")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Brings archived entries back, read or unread as they were", description = MARK)
    @RequestBody(ref = "InboxSelection")
    @APIResponse(responseCode = "200", ref = "InboxCounts")
    public String unarchive(@PathParam("userId") @Parameter(description = PublishResource.ID_RULE, example = "42", required = true) String userId,
                            @Parameter(hidden = true) InputStream body, @Context HttpHeaders headers) {
        return mark(userId, Inbox.Mark.UNARCHIVE, body, headers);
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "The user removes one notification from their history, replay and inbox",
            description = "404 when the inbox does not hold it (never did, or it was deleted, retracted or trimmed already).")
    @APIResponse(responseCode = "200", ref = "InboxCounts")
    @APIResponse(responseCode = "404", ref = "NotHeld")
    public String delete(@PathParam("userId") @Parameter(description = PublishResource.ID_RULE, example = "42", required = true) String userId,
                         @PathParam("id") @Parameter(description = "a notification's id", example = HistoryResource.EXAMPLE_ID,
                                 required = true) String id,
                         @Context HttpHeaders headers) {
        owner(userId, headers);
        Optional<Inbox.Counts> counts = broker.inbox().delete(userId, notificationId(id), Inbox.Remover.USER);
        telemetry.inboxOperation(InboxOperation.DELETE);
        return json(userId, id, counts);
    }

    private String mark(String userId, Inbox.Mark mark, InputStream body, HttpHeaders headers) {
        owner(userId, headers);
        InboxSelection selection = InboxSelection.parse(
                RequestBodies.read(body, headers, InboxSelection.maxBytes(historySize), "herald.history.size"), historySize);
        Inbox.Counts counts = selection.upTo() != null
                ? broker.inbox().markUpTo(userId, mark, selection.upTo())
                : broker.inbox().mark(userId, mark, selection.ids());
        telemetry.inboxOperation(InboxOperation.of(mark));
        return json(counts);
    }

    /** Checked in the order history checks them: the user id (400), then the caller (401, 403). */
    private void owner(String userId, HttpHeaders headers) {
        Stream.user(userId);
        guard.reader(headers, userId);
    }

    private static Inbox.Filter filter(String status) {
        if (status == null) {
            return Inbox.Filter.INBOX;
        }
        return switch (status) {
            case "unread" -> Inbox.Filter.UNREAD;
            case "unseen" -> Inbox.Filter.UNSEEN;
            case "archived" -> Inbox.Filter.ARCHIVED;
            case "all" -> Inbox.Filter.ALL;
            default -> throw new BadRequestException("status must be unread, unseen, archived or all (or absent: not archived)");
        };
    }

    static NotificationId notificationId(String id) {
        try {
            return NotificationId.parse(id);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("id: " + e.getMessage());
        }
    }

    /** The counts after a delete or retraction, or a 404 problem when the inbox did not hold the id. */
    static String json(String userId, String id, Optional<Inbox.Counts> counts) {
        return json(counts.orElseThrow(() -> new ClientErrorException("the inbox of user " + userId + " holds no notification " + id,
                Response.Status.NOT_FOUND)));
    }

    /** Written out, like the publish answer: three numbers. */
    static String json(Inbox.Counts counts) {
        return "{\"unread\":" + counts.unread() + ",\"unseen\":" + counts.unseen() + ",\"total\":" + counts.total() + "}";
    }

    /** The history frame with the entry's state added last: the frame always ends with the closing brace of its object. */
    private static String json(Inbox.Entry entry) {
        String frame = entry.notification().frame();
        return frame.substring(0, frame.length() - 1) + ",\"read\":" + entry.read() + ",\"seen\":" + entry.seen()
                + ",\"archived\":" + entry.archived() + "}";
    }
}
