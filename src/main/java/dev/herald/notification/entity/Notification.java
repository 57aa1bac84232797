package dev.herald.notification.entity;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A stored notification and the exact text frame clients receive: the posted object with
 * {@code "id"} and {@code "ts"} in front. The frame is built once and shared by every session.
 *
 * @param expiresAt when it expires, in epoch milliseconds ({@link #NEVER}: 0): carried to the sockets' queues, which
 *                  drop it if it expired while waiting, so it never reaches a client after its expiry
 */
public record Notification(Stream stream, NotificationId id, String frame, long expiresAt) {

    public static final long NEVER = 0;

    public Notification(Stream stream, NotificationId id, String frame) {
        this(stream, id, frame, NEVER);
    }

    private static final DateTimeFormatter TS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** @param payloadJson a JSON object's text, as validated by {@link Payload} */
    public static Notification of(Stream stream, NotificationId id, String payloadJson) {
        String head = "{\"id\":\"" + id + "\",\"ts\":\"" + TS.format(id.timestamp()) + "\"";
        int body = payloadJson.indexOf('{') + 1;
        int first = body;
        while (Character.isWhitespace(payloadJson.charAt(first))) {
            first++;
        }
        boolean empty = payloadJson.charAt(first) == '}';
        return new Notification(stream, id, empty ? head + "}" : head + "," + payloadJson.substring(body));
    }

    /** The same notification, expiring at {@code expiresAt} (epoch ms, or {@link #NEVER}). */
    public Notification expiringAt(long expiresAt) {
        return new Notification(stream, id, frame, expiresAt);
    }

    /** True when it has an expiry and it is not after {@code nowMillis}. */
    public boolean isExpiredAt(long nowMillis) {
        return expiresAt != NEVER && expiresAt <= nowMillis;
    }

    /**
     * The frame for a socket that carries several streams: {@code "stream"} and {@code "cursor"} follow {@code "ts"}
     * (a payload cannot hold either: {@link Payload} refuses them).
     */
    public String frameWith(String streamName, String cursor) {
        int afterTs = frame.indexOf('"', frame.indexOf(",\"ts\":\"") + 7) + 1;
        return new StringBuilder(frame.length() + streamName.length() + cursor.length() + 24)
                .append(frame, 0, afterTs)
                .append(",\"stream\":\"").append(streamName).append("\",\"cursor\":\"").append(cursor).append('"')
                .append(frame, afterTs, frame.length())
                .toString();
    }
}
