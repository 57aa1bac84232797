package dev.herald.notification.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.problem.entity.BadInputException;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class CursorTest {

    @Test
    void readsBackWhatItWrote() {
        String text = Cursor.encode(new String[] {"user", "broadcast", "group:region:us"},
                new NotificationId[] {new NotificationId(1733, 2), NotificationId.ZERO, new NotificationId(9, 9)});
        assertTrue(text.matches("h1\\.[A-Za-z0-9_-]+"), text);
        Cursor cursor = Cursor.parse(text);
        assertEquals(Map.of("user", new NotificationId(1733, 2), "broadcast", NotificationId.ZERO, "group:region:us", new NotificationId(9, 9)),
                cursor.positions());
        assertNull(cursor.positionOf("group:other"));
    }

    @Test
    void anIdIsNotACursor() {
        assertFalse(Cursor.looksLike("1733-0"));
        assertTrue(Cursor.looksLike("h1.dXNlcj0xLTA"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"h1.", "h1.!!!", "h1.dXNlcj0", "h1.PTEtMA", "h1.dXNlcj0xLTAsdXNlcj0yLTA", "h2.dXNlcj0xLTA", "1733-0"})
    void anythingElseIsBadInputThatSaysWhatSinceTakes(String text) {
        // "user=", "=1-0" (no name), "user=1-0,user=2-0" (twice), another version, an id
        BadInputException refused = assertThrows(BadInputException.class, () -> Cursor.parse(text));
        assertTrue(refused.getMessage().contains("cursor"), refused.getMessage());
    }

    @Test
    void aCursorLongerThanAnyHeraldWritesIsRefusedUnread() {
        assertThrows(BadInputException.class, () -> Cursor.parse("h1." + "A".repeat(9000)));
    }
}
