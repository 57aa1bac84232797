package dev.herald.testing;

import java.net.URI;
import java.net.URL;

/**
 * Where one deployed Herald answers: its routes under {@code base} (HTTP and WebSocket), the server's own endpoints
 * (MicroProfile Health and Metrics on Payara Micro and Open Liberty) at the server root, and the two socket routes
 * with a valid token for the user they name.
 */
public record Endpoints(URI base) {

    /**
     * Arquillian's {@code @ArquillianResource URL}, which names the machine's address, on loopback: tests send
     * nothing to another interface, and Payara listens on 127.0.0.1 only (payara-config's pre-boot commands).
     */
    public static Endpoints of(URL arquillianBase) {
        URI uri = URI.create(arquillianBase.toExternalForm());
        return new Endpoints(URI.create("http://127.0.0.1:" + uri.getPort() + uri.getRawPath()));
    }

    public URI http(String path) {
        return base.resolve(path);
    }

    public URI ws(String path) {
        return URI.create(base.toString().replaceFirst("^http", "ws")).resolve(path);
    }

    /** The server's own endpoints ({@code health}, {@code metrics?scope=application}) live at the root, not under the base. */
    public URI root(String path) {
        return base.resolve("/" + path);
    }

    /** {@code ws/notifications/<user>?token=<user's token>}, with {@code &since=} unless {@code since} is null. */
    public URI userSocket(String user, String since) {
        return ws("ws/notifications/" + user + "?token=" + TestTokens.token(user) + (since == null ? "" : "&since=" + since));
    }

    /** {@code ws/notifications?token=<a listener's token>}, with {@code &since=} unless {@code since} is null. */
    public URI broadcastSocket(String since) {
        return ws("ws/notifications?token=" + TestTokens.token("listener") + (since == null ? "" : "&since=" + since));
    }
}
