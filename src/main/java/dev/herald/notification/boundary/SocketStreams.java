package dev.herald.notification.boundary;

import dev.herald.notification.entity.Cursor;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import dev.herald.problem.entity.BadInputException;
import dev.herald.security.control.GroupGrants;
import dev.herald.security.entity.Caller;
import dev.herald.security.entity.GroupName;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * What a handshake asks its socket to carry, and where each stream resumes: {@code /ws/notifications/{userId}} carries
 * the user's stream, {@code /ws/notifications} the broadcast stream; {@code broadcast=true|false} adds or drops the
 * broadcast stream, {@code groups=a,b} adds groups the token grants ({@link GroupGrants}); {@code since} takes an id on
 * a socket with one stream, a {@link Cursor} on any. Read the same way by {@link HandshakeFilter}, which refuses with
 * an HTTP status, and by {@link Sockets}, the second line.
 */
@ApplicationScoped
public class SocketStreams {

    @Inject
    GroupGrants grants;

    @Inject
    @ConfigProperty(name = "herald.channels.max-per-socket")
    int maxPerSocket;

    /**
     * @param streams the user's stream first, then the broadcast stream, then the groups as asked
     * @param since   the resume point of each stream that has one (the others start from now)
     */
    public record Request(List<Stream> streams, Map<Stream, NotificationId> since) {

        /** The user's stream, or null on the broadcast endpoint. */
        public Stream userStream() {
            return streams.get(0).isUser() ? streams.get(0) : null;
        }

        /** How logs name it: the stream names, joined. */
        public String describe() {
            return String.join(",", streams.stream().map(Stream::name).toList());
        }
    }

    /** A stream the token does not open: another user's, or a group it does not grant (403). */
    public static final class NotOpenException extends BadInputException {

        NotOpenException(String message) {
            super(403, message);
        }
    }

    /**
     * @param userId    the path's user (decoded), or null on the broadcast endpoint
     * @param parameter the query parameter's values by name (null or empty when absent)
     * @throws BadInputException 400 for a malformed request, {@link NotOpenException} for a stream the token does not open
     */
    public Request read(String userId, Function<String, List<String>> parameter, Caller caller) {
        Set<Stream> streams = new LinkedHashSet<>();
        if (userId != null) {
            streams.add(Stream.user(userId));
        }
        if (broadcast(first(parameter, "broadcast"), userId == null)) {
            streams.add(Stream.BROADCAST);
        }
        List<String> groups = groups(parameter.apply("groups"));
        groups.forEach(group -> streams.add(Stream.group(group)));
        if (streams.isEmpty()) {
            throw new BadInputException("this socket would carry no stream: ask for groups=<name>, or leave broadcast=false out");
        }
        if (streams.size() > maxPerSocket) {
            throw new BadInputException("a socket carries at most " + maxPerSocket + " streams (herald.channels.max-per-socket); this one asks for "
                    + streams.size());
        }
        List<Stream> carried = List.copyOf(streams);
        Map<Stream, NotificationId> since = since(first(parameter, "since"), carried);
        if (userId != null && !caller.is(userId)) {
            throw new NotOpenException("this token is for another user");
        }
        for (String group : groups) {
            if (!grants.isMember(caller, group)) {
                throw new NotOpenException("this token does not grant group " + group + " (its groups claim must hold "
                        + grants.grantFor(group) + ")");
            }
        }
        return new Request(carried, since);
    }

    private static String first(Function<String, List<String>> parameter, String name) {
        List<String> values = parameter.apply(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static boolean broadcast(String value, boolean byDefault) {
        if (value == null) {
            return byDefault;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new BadInputException("broadcast must be true or false");
        };
    }

    /** Every {@code groups} value split at commas; empty entries are skipped (a joined empty list is ""). */
    private static List<String> groups(List<String> values) {
        List<String> groups = new ArrayList<>();
        if (values != null) {
            for (String value : values) {
                for (String group : value.split(",")) {
                    if (!group.isEmpty()) {
                        groups.add(checkGroup(group));
                    }
                }
            }
        }
        return groups;
    }

    private static String checkGroup(String group) {
        try {
            return GroupName.check(group);
        } catch (BadInputException e) {
            throw new BadInputException("groups: " + e.getMessage());
        }
    }

    private static Map<Stream, NotificationId> since(String since, List<Stream> streams) {
        if (since == null) {
            return Map.of();
        }
        if (Cursor.looksLike(since)) {
            Cursor cursor = Cursor.parse(since);
            Map<Stream, NotificationId> positions = new HashMap<>();
            for (Stream stream : streams) {
                NotificationId position = cursor.positionOf(stream.frameName());
                if (position != null) {
                    positions.put(stream, position);
                }
            }
            return positions;
        }
        if (streams.size() > 1) {
            throw new BadInputException("this socket carries several streams: since takes the \"cursor\" of the last frame received, not an id");
        }
        try {
            return Map.of(streams.get(0), NotificationId.parse(since));
        } catch (BadInputException e) {
            throw new BadInputException("since: " + e.getMessage());
        }
    }
}
