/**
 * Who may publish, read history and open sockets. Identities are MicroProfile JWTs, verified here with the
 * standard {@code mp.jwt.verify.*} keys and semantics, for REST calls and WebSocket handshakes alike (MP JWT
 * has no portable API for a token that is not in an Authorization header, and the server's own MP-JWT
 * mechanism costs a publish more than all of Herald: see {@code boundary.Guard}). Development mode mints its
 * own tokens; production never does.
 */
package dev.herald.security;
