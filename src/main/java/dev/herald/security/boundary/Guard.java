package dev.herald.security.boundary;

import dev.herald.problem.boundary.Problem;
import dev.herald.security.control.GroupGrants;
import dev.herald.security.control.InvalidTokenException;
import dev.herald.security.control.TokenVerifier;
import dev.herald.security.entity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.NotAuthorizedException;
import jakarta.ws.rs.core.HttpHeaders;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Who may do what over REST, checked in code rather than with {@code @RolesAllowed} so the group names
 * are configurable and every server enforces it the same way (WildFly ignores {@code @RolesAllowed} on
 * JAX-RS by default). The bearer token is verified by {@link TokenVerifier} with the standard
 * {@code mp.jwt.verify.*} keys, as for WebSocket handshakes, not by the server's MicroProfile JWT mechanism:
 * on Payara that mechanism (enabled by {@code @LoginConfig}) runs JASPIC and JACC on every request, protected
 * or not, and verifies the token again each time, half of a publish's CPU in the benchmark
 * (src/site/markdown/performance.md); {@link TokenVerifier} keeps a verified token for up to a minute, and the
 * answers are the same on every server.
 */
@ApplicationScoped
public class Guard {

    @Inject
    TokenVerifier verifier;

    @Inject
    GroupGrants groups;

    @Inject
    @ConfigProperty(name = "herald.auth.publisher-group")
    String publisherGroup;

    @Inject
    @ConfigProperty(name = "herald.auth.admin-group")
    String adminGroup;

    /** A caller in the publisher group; 401 without a valid token, 403 outside the group. */
    public Caller publisher(HttpHeaders headers) {
        Caller caller = caller(headers);
        if (!caller.isIn(publisherGroup)) {
            throw new ForbiddenException("publishing needs the \"" + publisherGroup + "\" group");
        }
        return caller;
    }

    /** The user themself or an admin, for the user's history and inbox; 401 without a valid token, 403 for anyone else. */
    public Caller reader(HttpHeaders headers, String userId) {
        Caller caller = caller(headers);
        if (!caller.is(userId) && !caller.isIn(adminGroup)) {
            throw new ForbiddenException("only the user themself or the \"" + adminGroup
                    + "\" group may read or change this user's history and inbox");
        }
        return caller;
    }

    /** A member of the group ({@link GroupGrants}) or an admin; 401 without a valid token, 403 for anyone else. */
    public Caller groupReader(HttpHeaders headers, String group) {
        Caller caller = caller(headers);
        if (!groups.mayRead(caller, group)) {
            throw new ForbiddenException("only members of the group (token group \"" + groups.grantFor(group) + "\") or the \""
                    + adminGroup + "\" group may read this history");
        }
        return caller;
    }

    private Caller caller(HttpHeaders headers) {
        String token = Bearer.token(headers.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (token == null) {
            throw new NotAuthorizedException("a bearer token is required (Authorization: Bearer <JWT>)", Problem.BEARER_CHALLENGE);
        }
        try {
            return verifier.verify(token);
        } catch (InvalidTokenException e) {
            throw new NotAuthorizedException(e.getMessage(), Problem.BEARER_CHALLENGE);
        }
    }
}
