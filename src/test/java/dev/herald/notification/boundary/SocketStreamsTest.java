package dev.herald.notification.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.notification.entity.Cursor;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import dev.herald.problem.entity.BadInputException;
import dev.herald.security.control.GroupGrants;
import dev.herald.security.entity.Caller;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a handshake's path and query ask a socket to carry, and which requests are refused with which status. */
class SocketStreamsTest {

    private static final Caller ALICE = new Caller("alice", Set.of("group:region:us", "group:team", "publisher"), Instant.MAX);

    private final SocketStreams streams = new SocketStreams();
    private final Map<String, List<String>> query = new HashMap<>();

    SocketStreamsTest() {
        streams.grants = new GroupGrants() {
            @Override
            public String grantFor(String group) {
                return "group:" + group;
            }

            @Override
            public boolean isMember(Caller caller, String group) {
                return caller.isIn(grantFor(group));
            }
        };
        streams.maxPerSocket = 4;
    }

    private SocketStreams.Request read(String userId) {
        return streams.read(userId, query::get, ALICE);
    }

    private BadInputException refused(String userId) {
        return assertThrows(BadInputException.class, () -> read(userId));
    }

    @Test
    void withoutParametersEachEndpointCarriesItsOneStreamAsBefore() {
        assertEquals(List.of(Stream.user("alice")), read("alice").streams());
        assertEquals(List.of(Stream.BROADCAST), read(null).streams());
        assertNull(read(null).userStream());
        query.put("groups", List.of(""));
        assertEquals(List.of(Stream.user("alice")), read("alice").streams(), "an empty list of groups adds none");
    }

    @Test
    void theUsersStreamComesFirstThenTheBroadcastThenTheGroupsOnceEach() {
        query.put("groups", List.of("region:us,team,,region:us"));
        query.put("broadcast", List.of("true"));
        assertEquals(List.of(Stream.user("alice"), Stream.BROADCAST, Stream.group("region:us"), Stream.group("team")), read("alice").streams());
        query.put("groups", List.of("team", "region:us"));
        query.put("broadcast", List.of("false"));
        assertEquals(List.of(Stream.group("team"), Stream.group("region:us")), read(null).streams(), "repeated groups=, broadcast left out");
        assertEquals(Stream.user("alice"), read("alice").userStream());
    }

    @Test
    void malformedRequestsAre400() {
        query.put("broadcast", List.of("yes"));
        assertEquals(400, refused("alice").status());
        query.put("broadcast", List.of("false"));
        assertTrue(refused(null).getMessage().contains("no stream"), "nothing to carry");
        query.put("groups", List.of("team,bad/name"));
        BadInputException badGroup = refused("alice");
        assertTrue(badGroup.status() == 400 && badGroup.getMessage().startsWith("groups: "), badGroup.getMessage());
        query.put("groups", List.of("a,b,c,d"));
        BadInputException tooMany = refused("alice");
        assertTrue(tooMany.status() == 400 && tooMany.getMessage().contains("at most 4 streams"), tooMany.getMessage());
    }

    @Test
    void aStreamTheTokenDoesNotOpenIs403() {
        BadInputException otherUser = refused("bob");
        assertEquals(403, otherUser.status());
        query.put("groups", List.of("team,region:eu"));
        BadInputException notGranted = refused("alice");
        assertEquals(403, notGranted.status());
        assertTrue(notGranted.getMessage().contains("region:eu") && notGranted.getMessage().contains("group:region:eu"), notGranted.getMessage());
    }

    @Test
    void sinceTakesAnIdOnOneStreamAndACursorOnAny() {
        NotificationId id = new NotificationId(1733, 1);
        query.put("since", List.of("1733-1"));
        assertEquals(Map.of(Stream.user("alice"), id), read("alice").since());
        query.put("groups", List.of("team"));
        BadInputException plainId = refused("alice");
        assertTrue(plainId.status() == 400 && plainId.getMessage().contains("cursor"), plainId.getMessage());
        query.put("since", List.of(Cursor.encode(new String[] {"user", "group:team", "group:gone"},
                new NotificationId[] {id, NotificationId.ZERO, id})));
        query.put("broadcast", List.of("true"));
        assertEquals(Map.of(Stream.user("alice"), id, Stream.group("team"), NotificationId.ZERO), read("alice").since(),
                "the broadcast stream is not in the cursor: it starts from now; a group no longer asked for is ignored");
        query.put("since", List.of("h1.x"));
        assertEquals(400, refused("alice").status());
    }
}
