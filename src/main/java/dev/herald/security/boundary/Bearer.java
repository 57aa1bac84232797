package dev.herald.security.boundary;

/** RFC 6750 bearer tokens in HTTP: reading one from {@code Authorization} (the 401 challenge is {@code Problem.BEARER_CHALLENGE}). */
public final class Bearer {

    private static final String SCHEME = "Bearer ";

    private Bearer() {
    }

    /** The token of an {@code Authorization: Bearer <token>} value (the scheme in any case), or null for any other. */
    public static String token(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return null;
        }
        return authorization.substring(SCHEME.length()).strip();
    }
}
