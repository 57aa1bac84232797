package dev.herald.notification.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.herald.problem.entity.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamTest {

    @ParameterizedTest
    @ValueSource(strings = {"42", "alice@example.com", "tenant:7.user_9-x", ".a", "a...", "..a.."})
    void acceptsTheDocumentedUserIds(String userId) {
        Stream stream = Stream.user(userId);
        assertEquals(stream, Stream.named(stream.name()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a b", "a/b", "é", "a*", ".", "..", "...", "....."})
    void refusesOtherUserIds(String userId) {
        assertThrows(IllegalArgumentException.class, () -> Stream.user(userId));
    }

    @Test
    void userIdsAreLimitedTo128Characters() {
        Stream.user("x".repeat(128));
        assertThrows(IllegalArgumentException.class, () -> Stream.user("x".repeat(129)));
    }

    @Test
    void broadcastHasItsOwnName() {
        assertEquals(Stream.BROADCAST, Stream.named("broadcast"));
        assertEquals(Stream.user("broadcast"), Stream.named("user:broadcast"));
    }

    @Test
    void namesStayByteForByteAndAGroupHasItsOwn() {
        assertEquals("user:42", Stream.user("42").name());
        assertEquals("broadcast", Stream.BROADCAST.name());
        assertEquals("group:region:us", Stream.group("region:us").name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"region:us", "team.payments", "tenant:7.user_9-x", "broadcast", "user:42", "group:x"})
    void aGroupNameRoundTripsAndIsNeverAUserOrTheBroadcast(String name) {
        Stream group = Stream.group(name);
        assertEquals(group, Stream.named(group.name()));
        assertTrue(group.isGroup(), group::toString);
        assertFalse(group.isUser() || group.isBroadcast(), group::toString);
        assertNull(group.userId(), "a group is nobody's user stream");
        assertNotEquals(Stream.user(name), group);
        assertNotEquals(Stream.user(name).name(), group.name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a b", "a/b", "é", "a*", "{x}", ".", "..."})
    void refusesOtherGroupNamesAsBadInput(String name) {
        BadInputException refused = assertThrows(BadInputException.class, () -> Stream.group(name));
        assertEquals(400, refused.status());
        assertTrue(refused.getMessage().startsWith("group must be"), refused::getMessage);
        assertThrows(IllegalArgumentException.class, () -> Stream.named("group:" + name));
    }

    @Test
    void groupNamesAreLimitedTo128Characters() {
        Stream.group("g".repeat(128));
        assertThrows(IllegalArgumentException.class, () -> Stream.group("g".repeat(129)));
    }

    @Test
    void otherNamesAreNotStreams() {
        for (String name : new String[] {"group", "groups:x", "probe:node", "Broadcast", "user"}) {
            assertThrows(IllegalArgumentException.class, () -> Stream.named(name), name);
        }
    }

    @Test
    void framesNameTheUsersStreamWithoutItsIdAndTheOthersByTheirNames() {
        assertEquals("user", Stream.user("alice").frameName());
        assertEquals("broadcast", Stream.BROADCAST.frameName());
        assertEquals("group:region:us", Stream.group("region:us").frameName());
    }
}
