package dev.herald.notification.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NotificationIdTest {

    @Test
    void parsesRedisStreamIdsAndBareMilliseconds() {
        assertEquals(new NotificationId(1732450000000L, 7), NotificationId.parse("1732450000000-7"));
        assertEquals(new NotificationId(5, 0), NotificationId.parse("5"));
        assertEquals(NotificationId.ZERO, NotificationId.parse("0"));
        assertEquals("1732450000000-7", NotificationId.parse("1732450000000-7").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "-1", "1-", "-", "1-2-3", "1.5", " 1", "1-x", "99999999999999999999-0", "+1"})
    void refusesAnythingElse(String text) {
        assertThrows(IllegalArgumentException.class, () -> NotificationId.parse(text), text);
    }

    @Test
    void ordersByMillisThenSequence() {
        assertTrue(NotificationId.parse("2-0").isAfter(NotificationId.parse("1-9")));
        assertTrue(NotificationId.parse("1-10").isAfter(NotificationId.parse("1-9")));
        assertTrue(NotificationId.parse("1-0").isAfter(NotificationId.ZERO));
    }

    @Test
    void nextIdIsAssignedAsRedisDoes() {
        NotificationId last = new NotificationId(100, 3);
        assertEquals(new NotificationId(100, 4), last.next(100), "same millisecond: next sequence");
        assertEquals(new NotificationId(100, 4), last.next(99), "clock behind: still increasing");
        assertEquals(new NotificationId(101, 0), last.next(101), "later millisecond: sequence restarts");
    }
}
