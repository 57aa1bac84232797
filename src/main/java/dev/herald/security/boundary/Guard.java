package dev.herald.security.boundary;

import dev.herald.problem.boundary.Problem;
import dev.herald.security.control.InvalidTokenException;
import dev.herald.security.control.TokenVerifier;
import dev.herald.security.entity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.NotAuthorizedException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.SecurityContext;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Who may do what over REST, checked in code rather than with {@code @RolesAllowed} so the group names
 * are configurable and every server enforces it the same way (WildFly ignores {@code @RolesAllowed} on
 * JAX-RS by default). Where the server's MicroProfile JWT left the request unauthenticated (Open Liberty
 * authenticates only resources with security constraints), the bearer token is verified here with the
 * same {@code mp.jwt.verify.*} keys, as for WebSocket handshakes.
 */
@ApplicationScoped
public class Guard {

    @Inject
    TokenVerifier verifier;

    @Inject
    @ConfigProperty(name = "herald.auth.publisher-group")
    String publisherGroup;

    @Inject
    @ConfigProperty(name = "herald.auth.admin-group")
    String adminGroup;

    /** A caller in the publisher group; 401 without a valid token, 403 outside the group. */
    public Caller publisher(SecurityContext security, HttpHeaders headers) {
        Caller caller = caller(security, headers);
        if (!caller.isIn(publisherGroup)) {
            throw new ForbiddenException("publishing needs the \"" + publisherGroup + "\" group");
        }
        return caller;
    }

    /** The user themself or an admin; 401 without a valid token, 403 for anyone else. */
    public Caller reader(SecurityContext security, HttpHeaders headers, String userId) {
        Caller caller = caller(security, headers);
        if (!caller.is(userId) && !caller.isIn(adminGroup)) {
            throw new ForbiddenException("only the user themself or the \"" + adminGroup + "\" group may read this history");
        }
        return caller;
    }

    private Caller caller(SecurityContext security, HttpHeaders headers) {
        String token = Bearer.token(headers.getHeaderString(HttpHeaders.AUTHORIZATION));
        try {
            if (security.getUserPrincipal() instanceof JsonWebToken jwt) {
                return verifier.from(jwt);
            }
            if (token != null) {
                return verifier.verify(token);
            }
        } catch (InvalidTokenException e) {
            throw new NotAuthorizedException(e.getMessage(), Problem.BEARER_CHALLENGE);
        }
        throw new NotAuthorizedException("a bearer token is required (Authorization: Bearer <JWT>)", Problem.BEARER_CHALLENGE);
    }
}
