package dev.herald.security.control;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Development mode: Herald generates a key pair at start, trusts tokens signed with it (issuer
 * {@value #ISSUER}) and mints short-lived ones for demo users. On only when the system property
 * {@code herald.dev-mode} or the environment variable {@code HERALD_DEV_MODE} is {@code true}: it is
 * read before MicroProfile Config exists, because it decides what that config says about keys.
 */
public final class DevMode {

    public static final String ISSUER = "herald-dev";

    private DevMode() {
    }

    public static boolean isOn() {
        return "true".equalsIgnoreCase(System.getProperty("herald.dev-mode", System.getenv("HERALD_DEV_MODE")));
    }

    /** One key pair per JVM, made on first use. */
    public static KeyPair keys() {
        return Holder.KEYS;
    }

    public static String publicKeyPem() {
        String base64 = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys().getPublic().getEncoded());
        return "-----BEGIN PUBLIC KEY-----\n" + base64 + "\n-----END PUBLIC KEY-----";
    }

    private static final class Holder {
        static final KeyPair KEYS = generate();

        private static KeyPair generate() {
            try {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                return generator.generateKeyPair();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
