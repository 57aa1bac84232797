package dev.herald.testing;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.HmacKey;
import org.jose4j.lang.JoseException;

/**
 * Tokens for tests, signed with a key pair made once per test JVM; the deployment under test trusts its
 * public key ({@link #config()}). Also the forged and broken tokens the security suite attacks with.
 */
public final class TestTokens {

    public static final String ISSUER = "https://issuer.herald.test";
    public static final String AUDIENCE = "herald";
    private static final KeyPair KEYS = generate("RSA");
    private static final KeyPair OTHER_KEYS = generate("RSA");

    private TestTokens() {
    }

    /** The MicroProfile JWT settings (properties-file lines) that trust this class's tokens. */
    public static String config() {
        return "mp.jwt.verify.publickey=" + pem().replace("\n", "\\n") + "\n"
                + "mp.jwt.verify.issuer=" + ISSUER + "\n"
                + "mp.jwt.verify.audiences=" + AUDIENCE + "\n";
    }

    public static String pem() {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(KEYS.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----";
    }

    /** A valid token for {@code user} in {@code groups}, 10 minutes long. */
    public static String token(String user, String... groups) {
        return sign(claims(user, groups), AlgorithmIdentifiers.RSA_USING_SHA256, KEYS);
    }

    /** A user id no other test uses ({@code u-<uuid>}): tests that each take their own do not depend on each other. */
    public static String freshUser() {
        return "u-" + UUID.randomUUID();
    }

    public static String publisher() {
        return token("publisher-service", "publisher");
    }

    public static String admin() {
        return token("operator", "admin");
    }

    /** A token for {@code user} with its claims changed by {@code change}, signed properly. */
    public static String with(String user, Consumer<JwtClaims> change) {
        JwtClaims claims = claims(user, "publisher");
        change.accept(claims);
        return sign(claims, AlgorithmIdentifiers.RSA_USING_SHA256, KEYS);
    }

    /** Signed by a key nobody trusts. */
    public static String signedByAnotherKey(String user) {
        return sign(claims(user, "publisher"), AlgorithmIdentifiers.RSA_USING_SHA256, OTHER_KEYS);
    }

    /** {@code alg: none}: no signature at all. */
    public static String unsigned(String user) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims(user, "publisher").toJson());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.NONE);
        jws.setAlgorithmConstraints(org.jose4j.jwa.AlgorithmConstraints.NO_CONSTRAINTS);
        return serialize(jws);
    }

    /** HS256 "signed" with the public key's bytes as the HMAC secret: the classic key-confusion forgery. */
    public static String hmacWithThePublicKey(String user) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims(user, "publisher").toJson());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
        jws.setKey(new HmacKey(pem().getBytes()));
        jws.setDoKeyValidation(false);
        return serialize(jws);
    }

    private static JwtClaims claims(String user, String... groups) {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(ISSUER);
        claims.setAudience(AUDIENCE);
        claims.setSubject(user);
        claims.setClaim("upn", user);
        claims.setStringListClaim("groups", List.of(groups));
        claims.setJwtId(UUID.randomUUID().toString());
        claims.setIssuedAtToNow();
        claims.setExpirationTime(NumericDate.fromSeconds(Instant.now().plus(Duration.ofMinutes(10)).getEpochSecond()));
        return claims;
    }

    private static String sign(JwtClaims claims, String algorithm, KeyPair keys) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setAlgorithmHeaderValue(algorithm);
        jws.setHeader("typ", "JWT");
        jws.setKey(keys.getPrivate());
        return serialize(jws);
    }

    private static String serialize(JsonWebSignature jws) {
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair generate(String algorithm) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            if ("EC".equals(algorithm)) {
                generator.initialize(new ECGenParameterSpec("secp256r1"));
            } else {
                generator.initialize(2048);
            }
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException | java.security.InvalidAlgorithmParameterException e) {
            throw new IllegalStateException(e);
        }
    }
}
