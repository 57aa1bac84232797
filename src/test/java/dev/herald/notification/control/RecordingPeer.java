package dev.herald.notification.control;

import dev.herald.notification.entity.CloseCode;
import dev.herald.notification.entity.Notification;
import java.util.ArrayDeque;
import java.util.List;
import java.util.ArrayList;
import java.util.Collections;
import java.util.function.Consumer;

/** A peer that records frames; completes sends inline, or holds them until {@link #completeAll()}. */
class RecordingPeer implements Outbox.Peer {

    final List<String> frames = Collections.synchronizedList(new ArrayList<>());
    /** The frames sent without a notification: control frames. */
    final List<String> controlFrames = Collections.synchronizedList(new ArrayList<>());
    /** Null until closed. */
    volatile CloseCode closeCode;
    volatile String closeReason;
    private final boolean inline;
    private final ArrayDeque<Consumer<Throwable>> pending = new ArrayDeque<>();
    private int inFlight;
    int maxInFlight;

    RecordingPeer(boolean inline) {
        this.inline = inline;
    }

    @Override
    public void send(Notification notification, String frame, Consumer<Throwable> done) {
        synchronized (this) {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            frames.add(frame);
            if (notification == null) {
                controlFrames.add(frame);
            }
        }
        if (inline) {
            synchronized (this) {
                inFlight--;
            }
            done.accept(null);
        } else {
            synchronized (this) {
                pending.add(done);
            }
        }
    }

    /** Completes held sends one by one, including those their completions start. */
    void completeAll() {
        while (true) {
            Consumer<Throwable> next;
            synchronized (this) {
                next = pending.poll();
                if (next == null) {
                    return;
                }
                inFlight--;
            }
            next.accept(null);
        }
    }

    @Override
    public void close(CloseCode code, String reason) {
        closeCode = code;
        closeReason = reason;
    }
}
