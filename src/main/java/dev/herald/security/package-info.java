/**
 * Who may publish, read history and open sockets. Identities are MicroProfile JWTs, verified with the
 * standard {@code mp.jwt.verify.*} keys for REST (the server's MP-JWT) and for WebSocket handshakes
 * (the same keys, checked here, since MP JWT has no portable API for a token that is not in an
 * Authorization header). Development mode mints its own tokens; production never does.
 */
package dev.herald.security;
