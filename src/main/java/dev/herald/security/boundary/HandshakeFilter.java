package dev.herald.security.boundary;

import dev.herald.notification.boundary.Problem;
import dev.herald.notification.control.SessionRegistry;
import dev.herald.notification.control.Telemetry;
import dev.herald.notification.entity.NotificationId;
import dev.herald.notification.entity.Stream;
import dev.herald.security.control.InvalidTokenException;
import dev.herald.security.control.TokenVerifier;
import dev.herald.security.entity.Caller;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses a WebSocket handshake with an HTTP status and a problem+json body before the upgrade, so a
 * refused client never has a socket: 401 (no or bad token), 403 (foreign Origin, or a token for another
 * user), 400 (bad user id or since), 429 (too many sockets for the user), 503 (node full or shutting down).
 */
@WebFilter(urlPatterns = "/ws/*", asyncSupported = true)
public class HandshakeFilter extends HttpFilter {

    private static final System.Logger LOG = System.getLogger(HandshakeFilter.class.getName());
    private static final String USER_PATH = "/ws/notifications/";

    @Inject
    TokenVerifier verifier;

    @Inject
    SessionRegistry registry;

    @Inject
    Telemetry telemetry;

    @Inject
    @ConfigProperty(name = "herald.auth.query-token")
    boolean queryTokens;

    @Inject
    @ConfigProperty(name = "herald.websocket.allowed-origins")
    Optional<String> allowedOrigins;

    @Inject
    @ConfigProperty(name = "herald.websocket.max-sessions-per-user")
    int maxPerUser;

    @Inject
    @ConfigProperty(name = "herald.websocket.max-sessions")
    int maxSessions;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!"websocket".equalsIgnoreCase(request.getHeader("Upgrade"))) {
            chain.doFilter(request, response);
            return;
        }
        String path = request.getRequestURI().substring(request.getContextPath().length());
        String origin = request.getHeader("Origin");
        if (origin != null && !originAllowed(origin, request.getHeader("Host"))) {
            refuse(request, response, 403, "pages from " + origin + " may not open sockets (herald.websocket.allowed-origins)");
            return;
        }
        String token = HandshakeTokens.find(name -> Collections.list(request.getHeaders(name)),
                queryTokens && request.getParameter("token") != null ? List.of(request.getParameter("token")) : List.of());
        if (token == null) {
            refuse(request, response, 401, "a token is required: Authorization: Bearer <JWT>, a Sec-WebSocket-Protocol "
                    + "entry bearer.<JWT>" + (queryTokens ? ", or ?token=<JWT>" : ""));
            return;
        }
        Caller caller;
        try {
            caller = verifier.verify(token);
        } catch (InvalidTokenException e) {
            refuse(request, response, 401, e.getMessage());
            return;
        }
        Stream stream = Stream.BROADCAST;
        try {
            if (path.startsWith(USER_PATH)) {
                stream = Stream.user(URLDecoder.decode(path.substring(USER_PATH.length()), StandardCharsets.UTF_8));
            }
            if (request.getParameter("since") != null) {
                NotificationId.parse(request.getParameter("since"));
            }
        } catch (IllegalArgumentException e) {
            refuse(request, response, 400, e.getMessage());
            return;
        }
        if (!stream.isBroadcast() && !stream.userId().equals(caller.userId())) {
            refuse(request, response, 403, "this token is for another user");
            return;
        }
        if (registry.isClosing() || registry.openSessions() >= maxSessions) {
            response.setHeader("Retry-After", "1");
            refuse(request, response, 503, "this node takes no more sockets now; connect to another node");
            return;
        }
        if (!stream.isBroadcast() && registry.openSessions(stream) >= maxPerUser) {
            telemetry.sessionClosed("limit");
            refuse(request, response, 429, "too many open sockets for this user (herald.websocket.max-sessions-per-user "
                    + maxPerUser + ")");
            return;
        }
        chain.doFilter(request, response);
    }

    /** Listed origins, or any with {@code *}; with none configured, only pages from this host. */
    private boolean originAllowed(String origin, String host) {
        if (allowedOrigins.isPresent()) {
            return Arrays.stream(allowedOrigins.get().split(",")).map(String::strip)
                    .anyMatch(allowed -> allowed.equals("*") || allowed.equalsIgnoreCase(origin));
        }
        try {
            URI page = URI.create(origin);
            int port = page.getPort() >= 0 ? page.getPort() : "https".equals(page.getScheme()) ? 443 : 80;
            String server = host == null ? "" : host.contains(":") ? host : host + ":" + port;
            return server.equalsIgnoreCase(page.getHost() + ":" + port);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void refuse(HttpServletRequest request, HttpServletResponse response, int status, String detail)
            throws IOException {
        LOG.log(Level.INFO, "Refused a WebSocket handshake on {0}: {1} {2}",
                request.getRequestURI(), String.valueOf(status), detail);
        Problem.of(status, detail, request.getRequestURI()).writeTo(response);
    }
}
