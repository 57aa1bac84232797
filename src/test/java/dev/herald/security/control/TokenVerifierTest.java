package dev.herald.security.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.security.entity.Caller;
import dev.herald.testing.TestTokens;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigValue;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.eclipse.microprofile.config.spi.Converter;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.junit.jupiter.api.Test;

/** The handshake's token check, configured only through the standard MicroProfile JWT keys. */
class TokenVerifierTest {

    private static TokenVerifier verifier(Map<String, String> settings, String userClaim) {
        TokenVerifier verifier = new TokenVerifier();
        verifier.config = new MapConfig(settings);
        verifier.userClaim = userClaim;
        verifier.configure();
        return verifier;
    }

    private static Map<String, String> rsaSettings() {
        return new HashMap<>(Map.of("mp.jwt.verify.publickey", TestTokens.pem(),
                "mp.jwt.verify.issuer", TestTokens.ISSUER, "mp.jwt.verify.audiences", TestTokens.AUDIENCE));
    }

    @Test
    void aValidRs256TokenNamesItsUserGroupsAndExpiry() throws InvalidTokenException {
        Caller caller = verifier(rsaSettings(), "sub").verify(TestTokens.token("alice", "publisher"));
        assertEquals("alice", caller.userId());
        assertEquals(Set.of("publisher"), caller.groups());
        assertTrue(caller.expiresAt().isAfter(Instant.now()));
    }

    @Test
    void aTokenVerifiedOnceIsAnsweredFromTheCacheAndAnotherIsNot() throws InvalidTokenException {
        TokenVerifier verifier = verifier(rsaSettings(), "sub");
        String token = TestTokens.token("alice", "publisher");
        assertSame(verifier.verify(token), verifier.verify(token));
        assertEquals("bob", verifier.verify(TestTokens.token("bob")).userId());
    }

    @Test
    void everyForgedOrStaleTokenIsRefused() {
        TokenVerifier verifier = verifier(rsaSettings(), "sub");
        Map<String, String> attacks = Map.of(
                "alg none", TestTokens.unsigned("alice"),
                "HS256 with the public key", TestTokens.hmacWithThePublicKey("alice"),
                "another key", TestTokens.signedByAnotherKey("alice"),
                "expired", TestTokens.with("alice", c -> c.setExpirationTime(NumericDate.fromSeconds(Instant.now().getEpochSecond() - 120))),
                "not yet valid", TestTokens.with("alice", c -> c.setNotBefore(NumericDate.fromSeconds(Instant.now().getEpochSecond() + 3600))),
                "wrong issuer", TestTokens.with("alice", c -> c.setIssuer("https://evil.test")),
                "wrong audience", TestTokens.with("alice", c -> c.setAudience("other")),
                "no exp", TestTokens.with("alice", c -> c.unsetClaim("exp")),
                "no jti", TestTokens.with("alice", c -> c.unsetClaim("jti")),
                "not a JWT", "hello");
        attacks.forEach((what, token) -> {
            InvalidTokenException refused = assertThrows(InvalidTokenException.class, () -> verifier.verify(token), what);
            assertTrue(!refused.getMessage().contains(token), what + ": the message never echoes the token");
        });
    }

    @Test
    void es256IsAcceptedWhenConfiguredAndRs256IsThenRefused() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ec = generator.generateKeyPair();
        Map<String, String> settings = rsaSettings();
        settings.put("mp.jwt.verify.publickey", "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(ec.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----");
        settings.put("mp.jwt.verify.publickey.algorithm", "ES256");
        TokenVerifier verifier = verifier(settings, "sub");
        assertEquals("bob", verifier.verify(sign(claims("bob"), AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256, ec)).userId());
        assertThrows(InvalidTokenException.class, () -> verifier.verify(TestTokens.token("bob")));
    }

    @Test
    void aJwkKeyAndAnotherUserClaimWork() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair rsa = generator.generateKeyPair();
        Map<String, String> settings = rsaSettings();
        settings.put("mp.jwt.verify.publickey", new RsaJsonWebKey((RSAPublicKey) rsa.getPublic()).toJson());
        JwtClaims claims = claims("ignored-subject");
        claims.setClaim("upn", "carol@example.com");
        assertEquals("carol@example.com", verifier(settings, "upn")
                .verify(sign(claims, AlgorithmIdentifiers.RSA_USING_SHA256, rsa)).userId());
    }

    @Test
    void withoutAConfiguredKeyEveryTokenIsRefused() {
        InvalidTokenException refused = assertThrows(InvalidTokenException.class,
                () -> verifier(Map.of(), "sub").verify(TestTokens.token("alice")));
        assertTrue(refused.getMessage().contains("mp.jwt.verify.publickey"), refused.getMessage());
    }

    private static JwtClaims claims(String subject) {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(TestTokens.ISSUER);
        claims.setAudience(TestTokens.AUDIENCE);
        claims.setSubject(subject);
        claims.setJwtId(UUID.randomUUID().toString());
        claims.setIssuedAtToNow();
        claims.setExpirationTimeMinutesInTheFuture(5);
        return claims;
    }

    private static String sign(JwtClaims claims, String algorithm, KeyPair keys) throws Exception {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setAlgorithmHeaderValue(algorithm);
        jws.setKey(keys.getPrivate());
        return jws.getCompactSerialization();
    }

    /** MicroProfile Config over a map, for the few value types TokenVerifier reads. */
    private record MapConfig(Map<String, String> values) implements Config {

        @Override
        public <T> T getValue(String name, Class<T> type) {
            return getOptionalValue(name, type).orElseThrow(() -> new NoSuchElementException(name));
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> Optional<T> getOptionalValue(String name, Class<T> type) {
            String value = values.get(name);
            if (value == null) {
                return Optional.empty();
            }
            Object converted = type == Integer.class ? Integer.valueOf(value)
                    : type == String[].class ? value.split(",") : value;
            return Optional.of((T) converted);
        }

        @Override
        public ConfigValue getConfigValue(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Iterable<String> getPropertyNames() {
            return values.keySet();
        }

        @Override
        public Iterable<ConfigSource> getConfigSources() {
            return List.of();
        }

        @Override
        public <T> Optional<Converter<T>> getConverter(Class<T> forType) {
            return Optional.empty();
        }

        @Override
        public <T> T unwrap(Class<T> type) {
            throw new UnsupportedOperationException();
        }
    }
}
