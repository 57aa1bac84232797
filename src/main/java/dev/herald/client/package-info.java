/** The browser client ({@code /herald.js}, {@code /herald-react.js}) and the demo page, served from the WAR. */
package dev.herald.client;
