package dev.herald.notification.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamTest {

    @ParameterizedTest
    @ValueSource(strings = {"42", "alice@example.com", "tenant:7.user_9-x"})
    void acceptsTheDocumentedUserIds(String userId) {
        Stream stream = Stream.user(userId);
        assertEquals(stream, Stream.named(stream.name()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a b", "a/b", "é", "a*"})
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
}
