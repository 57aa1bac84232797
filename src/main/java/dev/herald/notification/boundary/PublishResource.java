package dev.herald.notification.boundary;

import dev.herald.notification.control.Broker;
import dev.herald.notification.control.IdempotencyConflictException;
import dev.herald.notification.control.Publishing;
import dev.herald.notification.entity.Expiry;
import dev.herald.notification.entity.IdempotencyKey;
import dev.herald.notification.entity.Notification;
import dev.herald.notification.entity.Stream;
import dev.herald.problem.entity.BadInputException;
import dev.herald.security.boundary.Guard;
import dev.herald.security.entity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
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

    /** The answer to a batch (schema "BatchAccepted"): {@code accepted} counts the replayed items too. */
    public record BatchAccepted(int accepted, int rejected, int replayed, List<ItemResult> results) {
    }

    /** One item's result (schema "BatchItemResult"); {@code replayed} is true or left out. */
    public record ItemResult(int status, String id, Boolean replayed, String detail) {
    }

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    static final String REPLAYED = "Idempotent-Replayed";
    static final String EXPIRES = "Herald-Expires";
    private static final String EXPIRES_RULE = "Optional. When the notification expires: an ISO-8601 duration from now (PT10M) "
            + "or instant (2026-12-02T10:00:00Z). Once expired it is sent to no socket and within about a second leaves "
            + "history, replay and the inbox. A malformed one, a past instant or a duration that is not positive is 400.";

    private static final String EXAMPLE_KEY = "order-12345-placed";
    static final String ID_RULE = "1 to 128 characters of A-Z a-z 0-9 . _ @ : -";
    private static final String KEY = "Optional. A retry with the same key and the same body within herald.publish.idempotency-ttl "
            + "(default 24 h) is answered with the original id and Idempotent-Replayed: true, and not published again; the "
            + "same key with another body is 422. Scoped to the caller and the recipient. 1 to 255 visible ASCII characters.";

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
    public Response broadcast(@HeaderParam(IDEMPOTENCY_KEY) @Parameter(description = KEY, example = EXAMPLE_KEY) String idempotencyKey,
                              @HeaderParam(EXPIRES) @Parameter(description = EXPIRES_RULE, example = "PT10M") String expires,
                              @Parameter(hidden = true) InputStream body, @Context HttpHeaders headers) {
        return publish(() -> Stream.BROADCAST, "Notification queued", idempotencyKey, expires, body, headers);
    }

    @POST
    @Path("notify/{userId}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Publish to one user",
            description = "Stores the object in the user's history and sends it to every open session of that user "
                    + "on /ws/notifications/{userId}.")
    @RequestBody(ref = "Notification")
    @APIResponse(responseCode = "202", ref = "Accepted")
    public Response notifyUser(@PathParam("userId") @Parameter(description = ID_RULE, example = "42", required = true) String userId,
                               @HeaderParam(IDEMPOTENCY_KEY) @Parameter(description = KEY, example = EXAMPLE_KEY) String idempotencyKey,
                               @HeaderParam(EXPIRES) @Parameter(description = EXPIRES_RULE, example = "PT10M") String expires,
                               @Parameter(hidden = true) InputStream body,
                               @Context HttpHeaders headers) {
        return publish(() -> Stream.user(userId), "Notification sent to user " + userId, idempotencyKey, expires, body, headers);
    }

    @POST
    @Path("notify/group/{group}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Publish to a group",
            description = "Stores the object in the group's history, which its members (tokens whose groups claim holds "
                    + "herald.channels.group-prefix + the group, group:<group> by default) and admins may read, and sends "
                    + "it to every member's socket that asks for the group (?groups=<group>).")
    @RequestBody(ref = "Notification")
    @APIResponse(responseCode = "202", ref = "Accepted")
    public Response notifyGroup(@PathParam("group") @Parameter(description = ID_RULE, example = "region:us", required = true) String group,
                                @HeaderParam(IDEMPOTENCY_KEY) @Parameter(description = KEY, example = EXAMPLE_KEY) String idempotencyKey,
                                @HeaderParam(EXPIRES) @Parameter(description = EXPIRES_RULE, example = "PT10M") String expires,
                                @Parameter(hidden = true) InputStream body,
                                @Context HttpHeaders headers) {
        return publish(() -> Stream.group(group), "Notification sent to group " + group, idempotencyKey, expires, body, headers);
    }

    @POST
    @Path("notify-batch")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Publish many notifications to users or groups in one request",
            description = "Each item names a userId or a group (exactly one of the two); it is stored in that user's or group's "
                    + "history and sent to the user's sessions, with its own id, "
                    + "in the order posted; the valid items are published as one step in the broker. Invalid items are "
                    + "refused one by one (their index in the detail) without affecting the others. Each item takes one "
                    + "permit of the caller's rate limit. An item's optional idempotencyKey works as the Idempotency-Key "
                    + "header of a single publish: a replayed item is answered with its original id and \"replayed\": true "
                    + "and takes no permit; one item whose key was used for another notification makes the whole batch "
                    + "422, nothing published. An item's optional \"expires\" works as the Herald-Expires header.")
    @RequestBody(ref = "Batch")
    @APIResponse(responseCode = "202", ref = "BatchAccepted")
    @APIResponse(responseCode = "207", ref = "BatchPartlyAccepted")
    public Response batch(@Parameter(hidden = true) InputStream body, @Context HttpHeaders headers) {
        Caller caller = guard.publisher(headers);
        List<Batch.Item> items = Batch.parse(RequestBodies.read(body, headers, batchMaxBytes, "herald.batch.max-bytes"),
                publishing.maxBatchItems(batchMaxItems), publishing.maxBatchItemsSetting(batchMaxItems), maxPayloadBytes,
                caller.userId(), Instant.now());
        List<Broker.Publication> valid = new ArrayList<>(items.size());
        List<Integer> positions = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).publication() != null) {
                valid.add(items.get(i).publication());
                positions.add(i);
            }
        }
        List<Broker.Published> published;
        try {
            published = publishing.publish(caller, valid);
        } catch (IdempotencyConflictException conflict) {
            throw conflict.in("item " + positions.get(conflict.index()));
        }
        Iterator<Broker.Published> each = published.iterator();
        List<ItemResult> results = items.stream().map(item -> {
            if (item.publication() == null) {
                return new ItemResult(item.status(), null, null, item.detail());
            }
            Broker.Published outcome = each.next();
            return new ItemResult(item.status(), outcome.notification().id().toString(), outcome.replayed() ? true : null, null);
        }).toList();
        int rejected = items.size() - valid.size();
        int replayed = (int) published.stream().filter(Broker.Published::replayed).count();
        Response.ResponseBuilder answer = Response.status(rejected == 0 ? 202 : 207)
                .entity(new BatchAccepted(valid.size(), rejected, replayed, results));
        return (replayed > 0 && replayed == valid.size() ? answer.header(REPLAYED, "true") : answer).build();
    }

    /**
     * One notification to one stream. Checked in this order, whatever the stream: the caller is a publisher, its
     * Idempotency-Key, its Herald-Expires, the recipient (a bad id or name is a {@link BadInputException}, 400), the body.
     */
    private Response publish(Supplier<Stream> recipient, String detail, String idempotencyKey, String expires, InputStream body,
                             HttpHeaders headers) {
        Caller caller = guard.publisher(headers);
        IdempotencyKey key = idempotencyKey(caller, idempotencyKey, headers);
        long expiresAt = expiresAt(expires, headers.getRequestHeader(EXPIRES), Instant.now());
        Stream stream = recipient.get();
        return accepted(detail, publishing.publish(caller,
                new Broker.Publication(stream, RequestBodies.payload(body, headers, maxPayloadBytes), key, expiresAt)));
    }

    /**
     * The request's Herald-Expires ({@code value}, one of {@code all} the request holds) in epoch ms, or
     * {@link Notification#NEVER} without one; more than one is refused.
     */
    static long expiresAt(String value, List<String> all, Instant now) {
        if (value == null) {
            return Notification.NEVER;
        }
        if (all != null && all.size() > 1) {
            throw new BadInputException("send one " + EXPIRES + " header, not " + all.size());
        }
        try {
            return Expiry.parse(value, now).toEpochMilli();
        } catch (BadInputException e) {
            throw new BadInputException("the " + EXPIRES + " header is malformed: " + e.getMessage());
        }
    }

    /**
     * The 202 answer to a publish (schema "Accepted"), written out here rather than by JSON-B (the one answer on
     * the hot path): the detail holds only a user id or a group name (no character that needs escaping in JSON), the id
     * is digits and a dash. A replay is answered the same, with the original id, and says so in a header.
     */
    private static Response accepted(String detail, Broker.Published sent) {
        Response.ResponseBuilder answer = Response.accepted("{\"detail\":\"" + detail + "\",\"id\":\"" + sent.notification().id() + "\"}");
        return (sent.replayed() ? answer.header(REPLAYED, "true") : answer).build();
    }

    /** The request's Idempotency-Key for this caller, or null without one; more than one such header is refused. */
    private static IdempotencyKey idempotencyKey(Caller caller, String value, HttpHeaders headers) {
        if (value == null) {
            return null;
        }
        List<String> all = headers.getRequestHeader(IDEMPOTENCY_KEY);
        if (all != null && all.size() > 1) {
            throw new BadInputException("send one " + IDEMPOTENCY_KEY + " header, not " + all.size());
        }
        try {
            return new IdempotencyKey(caller.userId(), value);
        } catch (BadInputException e) {
            throw new BadInputException("the " + IDEMPOTENCY_KEY + " header is malformed: " + e.getMessage());
        }
    }
}
