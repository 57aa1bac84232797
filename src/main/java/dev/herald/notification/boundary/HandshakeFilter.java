package dev.herald.notification.boundary;

import dev.herald.notification.control.Outboxes;
import dev.herald.notification.control.Telemetry;
import dev.herald.notification.entity.Stream;
import dev.herald.problem.boundary.Problem;
import dev.herald.problem.entity.BadInputException;
import dev.herald.security.boundary.HandshakeTokens;
import dev.herald.security.control.InvalidTokenException;
import dev.herald.security.control.OriginPolicy;
import dev.herald.security.control.TokenVerifier;
import dev.herald.security.entity.Caller;
import dev.herald.security.entity.UserId;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Admits a WebSocket handshake, or refuses it with an HTTP status and a problem+json body before the upgrade,
 * so a refused client never has a socket: 403 (foreign Origin, a token for another user or without a group asked
 * for), 401 (no or bad token), 400 (bad user id, groups, broadcast or since; too many streams), 503 (node full or
 * shutting down), 429 (too many sockets for the user).
 */
@WebFilter(urlPatterns = "/ws/*", asyncSupported = true)
public class HandshakeFilter extends HttpFilter {

    private static final System.Logger LOG = System.getLogger(HandshakeFilter.class.getName());
    private static final String USER_PATH = "/ws/notifications/";

    @Inject
    TokenVerifier verifier;

    @Inject
    OriginPolicy origins;

    @Inject
    SocketStreams streams;

    @Inject
    Outboxes outboxes;

    @Inject
    Telemetry telemetry;

    @Inject
    @ConfigProperty(name = "herald.auth.query-token")
    boolean queryTokens;

    @Inject
    @ConfigProperty(name = "herald.websocket.max-sessions-per-user")
    int maxPerUser;

    @Inject
    @ConfigProperty(name = "herald.websocket.max-sessions")
    int maxSessions;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        // Whatever asks to be upgraded is checked, not only "Upgrade: websocket": WildFly's Undertow made a WebSocket of
        // a handshake that said "Upgrade: h2c" (found by HostileInputIT), which would have passed by these checks.
        if (request.getHeader("Upgrade") == null && request.getHeader("Sec-WebSocket-Key") == null) {
            chain.doFilter(request, response);
            return;
        }
        String path = request.getRequestURI().substring(request.getContextPath().length());
        String origin = request.getHeader("Origin");
        if (origin != null && !origins.allows(origin, request.getHeader("Host"))) {
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
        SocketStreams.Request wanted;
        try {
            String user = path.startsWith(USER_PATH) ? pathUser(path.substring(USER_PATH.length())) : null;
            wanted = streams.read(user, name -> parameter(request, name), caller);
        } catch (IllegalArgumentException e) {
            refuse(request, response, e instanceof BadInputException bad ? bad.status() : 400, e.getMessage());
            return;
        }
        if (outboxes.isClosing() || outboxes.openSessions() >= maxSessions) {
            response.setHeader("Retry-After", "1");
            refuse(request, response, 503, "this node takes no more sockets now; connect to another node");
            return;
        }
        Stream user = wanted.userStream();
        if (user != null && outboxes.openSessions(user) >= maxPerUser) {
            telemetry.refusedOverUserLimit();
            refuse(request, response, 429, "too many open sockets for this user (herald.websocket.max-sessions-per-user "
                    + maxPerUser + ")");
            return;
        }
        chain.doFilter(request, response);
    }

    private static List<String> parameter(HttpServletRequest request, String name) {
        String[] values = request.getParameterValues(name);
        return values == null ? null : List.of(values);
    }

    /** The user id of the path, percent-decoded; a malformed escape is bad input like any other bad id. */
    private static String pathUser(String encoded) {
        try {
            return URLDecoder.decode(encoded, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("the path's user id is not valid percent-encoding: " + UserId.RULE);
        }
    }

    /** Logged at FINE like every refused request; a full or closing node (503) is worth INFO. */
    private static void refuse(HttpServletRequest request, HttpServletResponse response, int status, String detail)
            throws IOException {
        LOG.log(status >= 500 ? Level.INFO : Level.DEBUG, "Refused a WebSocket handshake on {0}: {1} {2}",
                request.getRequestURI(), String.valueOf(status), detail);
        Problem.of(status, detail, request.getRequestURI()).writeTo(response);
    }
}
