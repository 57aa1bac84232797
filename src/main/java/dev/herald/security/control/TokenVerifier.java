package dev.herald.security.control;

import dev.herald.security.entity.Caller;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.HttpsJwks;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.ErrorCodes;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.HttpsJwksVerificationKeyResolver;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.jose4j.lang.JoseException;

/**
 * Verifies a raw token the way MicroProfile JWT does, from the same standard keys
 * ({@code mp.jwt.verify.publickey}, {@code .publickey.location}, {@code .publickey.algorithm},
 * {@code .issuer}, {@code .audiences}, {@code .clock.skew}): one signature algorithm (RS256 by default,
 * or ES256), {@code exp} required, {@code nbf} honoured. With no key configured every token is refused.
 */
@ApplicationScoped
public class TokenVerifier {

    private static final System.Logger LOG = System.getLogger(TokenVerifier.class.getName());

    @Inject
    Config config;

    @Inject
    @ConfigProperty(name = "herald.auth.user-claim")
    String userClaim;

    private JwtConsumer consumer;
    private final VerifiedTokens verified = new VerifiedTokens(Clock.systemUTC());
    private int clockSkewSeconds;

    @PostConstruct
    void configure() {
        String algorithm = config.getOptionalValue("mp.jwt.verify.publickey.algorithm", String.class).orElse("RS256");
        clockSkewSeconds = config.getOptionalValue("mp.jwt.verify.clock.skew", Integer.class).orElse(60);
        if (!List.of("RS256", "ES256").contains(algorithm)) {
            throw new IllegalStateException("mp.jwt.verify.publickey.algorithm must be RS256 or ES256, not " + algorithm);
        }
        // the claims MicroProfile JWT requires (exp, iat, jti): a token REST refuses must not open a socket
        JwtConsumerBuilder builder = new JwtConsumerBuilder()
                .setRequireExpirationTime()
                .setRequireIssuedAt()
                .setRequireJwtId()
                .setAllowedClockSkewInSeconds(clockSkewSeconds)
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT, algorithm);
        config.getOptionalValue("mp.jwt.verify.issuer", String.class).ifPresent(builder::setExpectedIssuer);
        Optional<String[]> audiences = config.getOptionalValue("mp.jwt.verify.audiences", String[].class);
        if (audiences.isPresent()) {
            builder.setExpectedAudience(audiences.get());
        } else {
            builder.setSkipDefaultAudienceValidation();
        }
        try {
            if (!useKey(builder)) {
                LOG.log(Level.WARNING, "No mp.jwt.verify.publickey or mp.jwt.verify.publickey.location is set: "
                        + "every token, and so every request, is refused. See the security documentation (src/site/markdown/security.md).");
                return;
            }
        } catch (IOException | GeneralSecurityException | JoseException e) {
            throw new IllegalStateException("The MicroProfile JWT verification key cannot be read: " + e.getMessage(), e);
        }
        consumer = builder.build();
    }

    /** Sets the verification key from config; false when none is configured. */
    private boolean useKey(JwtConsumerBuilder builder) throws IOException, GeneralSecurityException, JoseException {
        Optional<String> text = config.getOptionalValue("mp.jwt.verify.publickey", String.class);
        if (text.isEmpty()) {
            Optional<String> location = config.getOptionalValue("mp.jwt.verify.publickey.location", String.class);
            if (location.isEmpty()) {
                return false;
            }
            if (location.get().startsWith("https://") || location.get().startsWith("http://")) {
                builder.setVerificationKeyResolver(new HttpsJwksVerificationKeyResolver(new HttpsJwks(location.get())));
                return true;
            }
            text = Optional.of(read(location.get()));
        }
        String key = text.get().strip();
        if (key.startsWith("{")) {
            JsonWebKeySet keys = key.contains("\"keys\"") ? new JsonWebKeySet(key) : new JsonWebKeySet(JsonWebKey.Factory.newJwk(key));
            builder.setVerificationKeyResolver(new JwksVerificationKeyResolver(keys.getJsonWebKeys()));
        } else {
            builder.setVerificationKey(pem(key));
        }
        return true;
    }

    private static String read(String location) throws IOException {
        if (location.startsWith("file:")) {
            return Files.readString(Path.of(java.net.URI.create(location)));
        }
        Path path = Path.of(location);
        if (path.isAbsolute() && Files.exists(path)) {
            return Files.readString(path);
        }
        String resource = location.startsWith("classpath:") ? location.substring(10) : location;
        try (InputStream in = Thread.currentThread().getContextClassLoader()
                .getResourceAsStream(resource.startsWith("/") ? resource.substring(1) : resource)) {
            if (in == null) {
                throw new IOException("mp.jwt.verify.publickey.location not found: " + location);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A PEM public key (with or without its BEGIN/END lines), RSA or EC. */
    private static PublicKey pem(String text) throws GeneralSecurityException {
        String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        X509EncodedKeySpec spec = new X509EncodedKeySpec(Base64.getDecoder().decode(base64));
        try {
            return KeyFactory.getInstance("RSA").generatePublic(spec);
        } catch (GeneralSecurityException notRsa) {
            return KeyFactory.getInstance("EC").generatePublic(spec);
        }
    }

    /** The caller a raw token identifies; never logs or echoes the token. */
    public Caller verify(String token) throws InvalidTokenException {
        if (consumer == null) {
            throw new InvalidTokenException("no verification key is configured (mp.jwt.verify.publickey)");
        }
        Caller known = verified.get(token);
        if (known != null) {
            return known;
        }
        try {
            JwtClaims claims = consumer.processToClaims(token);
            Object user = claims.getClaimValue(userClaim);
            if (!(user instanceof String userId) || userId.isEmpty()) {
                throw new InvalidTokenException("the token has no \"" + userClaim + "\" claim naming the user");
            }
            List<String> groups = claims.hasClaim("groups") ? claims.getStringListClaimValue("groups") : List.of();
            Caller caller = new Caller(userId, new HashSet<>(groups), Instant.ofEpochSecond(claims.getExpirationTime().getValue()));
            verified.put(token, caller);
            return caller;
        } catch (InvalidJwtException e) {
            throw new InvalidTokenException(describe(e));
        } catch (MalformedClaimException e) {
            throw new InvalidTokenException("the token's claims are malformed");
        }
    }

    private static String describe(InvalidJwtException e) {
        if (e.hasExpired()) {
            return "the token has expired";
        }
        if (e.hasErrorCode(ErrorCodes.NOT_YET_VALID)) {
            return "the token is not valid yet";
        }
        if (e.hasErrorCode(ErrorCodes.ISSUER_INVALID) || e.hasErrorCode(ErrorCodes.ISSUER_MISSING)) {
            return "the token's issuer is not trusted";
        }
        if (e.hasErrorCode(ErrorCodes.AUDIENCE_INVALID) || e.hasErrorCode(ErrorCodes.AUDIENCE_MISSING)) {
            return "the token is not meant for this audience";
        }
        if (e.hasErrorCode(ErrorCodes.EXPIRATION_MISSING) || e.hasErrorCode(ErrorCodes.ISSUED_AT_MISSING)
                || e.hasErrorCode(ErrorCodes.JWT_ID_MISSING)) {
            return "the token lacks a required claim (exp, iat and jti are required)";
        }
        if (e.hasErrorCode(ErrorCodes.SIGNATURE_INVALID) || e.hasErrorCode(ErrorCodes.SIGNATURE_MISSING)) {
            return "the token's signature is missing or wrong";
        }
        return "the token is not a valid signed JWT";
    }
}
