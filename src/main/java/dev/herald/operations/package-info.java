/**
 * What operators see of a node: MicroProfile Metrics ({@code MicroProfileTelemetry}, the only class that uses MP
 * Metrics types, so the WAR deploys where they are missing) and MicroProfile Health (readiness {@code BrokerHealth},
 * liveness {@code NodeLiveness}). Reads the notification component; nothing there depends on it.
 */
package dev.herald.operations;
