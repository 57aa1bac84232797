/**
 * What only the chaos suite (ChaosIT) needs: a publisher that classifies every attempt, client sessions that
 * reconnect with {@code since} as a real app would, and the check of Herald's delivery promise over both.
 */
package dev.herald.testing.chaos;
