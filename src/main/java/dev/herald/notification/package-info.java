/**
 * Notifications: published over REST, kept in a bounded per-user history, pushed live over WebSocket.
 * <p>
 * The promise: a notification answered with 202 has been stored (history) and published (live fan-out)
 * under one id; every connected session of its recipient gets it once, in id order, and a client that
 * reconnects with {@code since=<last id>} gets what it missed, or is told explicitly that history no
 * longer reaches back that far.
 * <p>
 * One notification's path, a class per hop:
 * <ol>
 * <li>{@code boundary.PublishResource} takes the REST call (a publisher's token, a bounded body);</li>
 * <li>{@code control.Publishing} takes the caller's permits, has the broker publish, reports it;</li>
 * <li>{@code control.RedisBroker} (or {@code MemoryBroker}) stores it in the stream's history and publishes it, one script;</li>
 * <li>{@code control.RedisSubscriber} receives it on the node's one subscription; {@code control.Outboxes} finds its stream's sessions;</li>
 * <li>{@code control.Outbox} queues it for one session, one send in flight; {@code boundary.SocketPeer} writes the frame.</li>
 * </ol>
 * A socket opens through {@code boundary.HandshakeFilter} (admission, before the upgrade), the endpoints
 * {@code UserSocket}/{@code BroadcastSocket} and {@code boundary.Sockets} (registration, catch-up from {@code since});
 * {@code control.Startup} starts live delivery; {@code SessionSweep} (expired, idle) and {@code GracefulShutdown} end sessions.
 */
package dev.herald.notification;
