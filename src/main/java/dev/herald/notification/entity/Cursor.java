package dev.herald.notification.entity;

import dev.herald.problem.entity.BadInputException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a socket that carries several streams stands in each of them: what every frame on such a socket holds as
 * {@code "cursor"}, and what {@code since=} takes to resume all of them at once. Opaque to clients: {@code h1.} and the
 * base64url of {@code <stream>=<id>} pairs joined by commas, each stream named as frames name it
 * ({@link Stream#frameName()}). The version prefix lets the format change without misreading old cursors.
 *
 * @param positions the last id the client received (or started after) per stream's frame name
 */
public record Cursor(Map<String, NotificationId> positions) {

    private static final String PREFIX = "h1.";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
    /** 32 streams with 128-character names and full ids fit; anything longer is not a cursor Herald wrote. */
    private static final int MAX_LENGTH = 8192;

    public Cursor {
        positions = Map.copyOf(positions);
    }

    /** Whether a {@code since} value is a cursor rather than an id (ids are digits and a dash). */
    public static boolean looksLike(String since) {
        return since != null && since.startsWith(PREFIX);
    }

    /** The position in the stream that frames call {@code frameName}, or null when the cursor does not cover it. */
    public NotificationId positionOf(String frameName) {
        return positions.get(frameName);
    }

    /** The cursor text of streams (by frame name) and their positions, index for index. */
    public static String encode(String[] frameNames, NotificationId[] ids) {
        StringBuilder text = new StringBuilder(frameNames.length * 32);
        for (int i = 0; i < frameNames.length; i++) {
            if (i > 0) {
                text.append(',');
            }
            text.append(frameNames[i]).append('=').append(ids[i]);
        }
        return PREFIX + ENCODER.encodeToString(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a cursor a frame held; anything else is a {@link BadInputException} that says what since takes. */
    public static Cursor parse(String text) {
        if (!looksLike(text) || text.length() > MAX_LENGTH) {
            throw invalid();
        }
        String decoded;
        try {
            decoded = new String(DECODER.decode(text.substring(PREFIX.length())), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        Map<String, NotificationId> positions = new LinkedHashMap<>();
        for (String pair : decoded.split(",", -1)) {
            int equals = pair.lastIndexOf('=');
            if (equals <= 0 || positions.put(pair.substring(0, equals), parseId(pair.substring(equals + 1))) != null) {
                throw invalid();
            }
        }
        return new Cursor(positions);
    }

    private static NotificationId parseId(String text) {
        try {
            return NotificationId.parse(text);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
    }

    private static BadInputException invalid() {
        return new BadInputException("since is not a cursor Herald wrote: pass the \"cursor\" of the last frame received, unchanged");
    }

    @Override
    public String toString() {
        return "Cursor" + positions;
    }
}
