/**
 * Notifications: published over REST, kept in a bounded per-user history, pushed live over WebSocket.
 * <p>
 * The promise: a notification answered with 202 has been stored (history) and published (live fan-out)
 * under one id; every connected session of its recipient gets it once, in id order, and a client that
 * reconnects with {@code since=<last id>} gets what it missed, or is told explicitly that history no
 * longer reaches back that far.
 */
package dev.herald.notification;
