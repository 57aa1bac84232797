package dev.herald.security.boundary;

import dev.herald.security.control.DevMode;
import dev.herald.security.entity.UserId;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.json.Json;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.lang.JoseException;

/**
 * Development mode only: mints short-lived tokens for demo users, signed with the key generated at start.
 * Answers 404 in every other configuration.
 */
@Path("dev/token")
@ApplicationScoped
public class DevTokenResource {

    private static final System.Logger LOG = System.getLogger(DevTokenResource.class.getName());
    static final Duration LIFETIME = Duration.ofMinutes(15);

    void warnAtStartup(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        if (DevMode.isOn()) {
            LOG.log(Level.WARNING, "*** DEVELOPMENT MODE: Herald trusts only its own generated key and hands out "
                    + "tokens to anyone at POST /dev/token. Never set herald.dev-mode=true in production. ***");
        }
    }

    @POST
    @Produces(MediaType.TEXT_PLAIN)
    @Operation(summary = "Development mode only: a 15-minute token for a demo user",
            description = "?user=alice&groups=publisher,admin. Answers 404 unless herald.dev-mode=true.")
    public String token(@QueryParam("user") String user, @QueryParam("groups") String groups) {
        return mint(user, groups);
    }

    @POST
    @Produces(MediaType.APPLICATION_JSON)
    public String tokenAsJson(@QueryParam("user") String user, @QueryParam("groups") String groups) {
        return Json.createObjectBuilder().add("token", mint(user, groups))
                .add("expiresIn", LIFETIME.toSeconds()).build().toString();
    }

    private static String mint(String user, String groups) {
        if (!DevMode.isOn()) {
            throw new NotFoundException("there are no development tokens outside development mode");
        }
        try {
            UserId.check(user);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("user: " + e.getMessage());
        }
        List<String> groupList = groups == null ? List.of()
                : Arrays.stream(groups.split(",")).map(String::strip).filter(g -> !g.isEmpty()).toList();
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(DevMode.ISSUER);
        claims.setSubject(user);
        claims.setClaim("upn", user);
        claims.setStringListClaim("groups", groupList);
        claims.setJwtId(UUID.randomUUID().toString());
        claims.setIssuedAtToNow();
        claims.setExpirationTime(NumericDate.fromSeconds(Instant.now().plus(LIFETIME).getEpochSecond()));
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(DevMode.keys().getPrivate());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        jws.setHeader("typ", "JWT");
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }
}
