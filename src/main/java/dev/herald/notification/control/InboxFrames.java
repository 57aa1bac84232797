package dev.herald.notification.control;

import dev.herald.notification.entity.NotificationId;
import java.util.ArrayList;
import java.util.List;

/**
 * The control frames of subprotocol {@code herald.2}: JSON objects with a top-level {@code "herald"} key (which no
 * notification has: {@link dev.herald.notification.entity.Payload} refuses it), telling a user's sockets what changed
 * in the inbox. Built once per change and shared by every session of that user; ids are digits and a dash, so
 * nothing needs escaping.
 */
final class InboxFrames {

    private InboxFrames() {
    }

    /** {@code {"herald":"counts","unread":2,"unseen":0,"total":7}}. */
    static String counts(Inbox.Counts counts) {
        return "{\"herald\":\"counts\",\"unread\":" + counts.unread() + ",\"unseen\":" + counts.unseen()
                + ",\"total\":" + counts.total() + "}";
    }

    /** What a change says to a socket: what happened to which entries (if anything is worth saying), then the counts. */
    static List<String> of(Inbox.Event event) {
        List<String> frames = new ArrayList<>(event.ids().size() + 1);
        switch (event.change()) {
            case MARKED -> {
                if (event.upTo() != null || !event.ids().isEmpty()) {
                    frames.add(state(event));
                }
            }
            case DELETED -> event.ids().forEach(id -> frames.add(removed("deleted", id)));
            case RETRACTED -> event.ids().forEach(id -> frames.add(removed("retracted", id)));
            // one frame for all: a sweep expires many at once, and a client only needs to drop them from its list
            case EXPIRED -> frames.add(ids("expired", event.ids()));
            case PUBLISHED -> {
                // the notification's own frame went first; the counts say the rest
            }
        }
        frames.add(counts(event.counts()));
        return frames;
    }

    /**
     * {@code {"herald":"state","ids":[…],"read":true,"seen":true}}, or {@code "upTo":"<id>"} instead of the ids for a
     * mark up to an id; the flags the mark sets or clears, nothing else.
     */
    private static String state(Inbox.Event event) {
        StringBuilder frame = new StringBuilder("{\"herald\":\"state\",");
        if (event.upTo() != null) {
            frame.append("\"upTo\":\"").append(event.upTo()).append('"');
        } else {
            appendIds(frame, event.ids());
        }
        frame.append(switch (event.mark()) {
            case READ -> ",\"read\":true,\"seen\":true";
            case UNREAD -> ",\"read\":false";
            case SEEN -> ",\"seen\":true";
            case ARCHIVE -> ",\"archived\":true";
            case UNARCHIVE -> ",\"archived\":false";
        });
        return frame.append('}').toString();
    }

    /** {@code {"herald":"expired","ids":[…]}}: they expired and are gone from the inbox. */
    private static String ids(String how, List<NotificationId> ids) {
        return appendIds(new StringBuilder("{\"herald\":\"").append(how).append("\","), ids).append('}').toString();
    }

    private static StringBuilder appendIds(StringBuilder frame, List<NotificationId> ids) {
        frame.append("\"ids\":[");
        for (int i = 0; i < ids.size(); i++) {
            frame.append(i == 0 ? "\"" : ",\"").append(ids.get(i)).append('"');
        }
        return frame.append(']');
    }

    /** {@code {"herald":"deleted","id":"…"}} (the user removed it) or {@code "retracted"} (a publisher did). */
    private static String removed(String how, NotificationId id) {
        return "{\"herald\":\"" + how + "\",\"id\":\"" + id + "\"}";
    }
}
