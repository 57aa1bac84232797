package dev.herald.security.entity;

import dev.herald.problem.entity.BadInputException;
import java.util.regex.Pattern;

/** What a user id may be, wherever one arrives: a path, a token, a development-mode request. */
public final class UserId {

    /*
     * Not only dots: "." and ".." are dot segments that every HTTP client and server normalizes away, and Payara refuses
     * a segment of three or more dots before any application sees it (a bare 400), so such an id could be published to
     * but never be read, resumed or connected to.
     */
    private static final Pattern VALID = Pattern.compile("(?!\\.+$)[A-Za-z0-9._@:-]{1,128}");
    public static final String RULE = "userId must be 1 to 128 characters of A-Z a-z 0-9 . _ @ : -, not only dots";

    private UserId() {
    }

    /** The id unchanged, or a BadInputException saying the rule. */
    public static String check(String userId) {
        if (!isValid(userId)) {
            throw new BadInputException(RULE);
        }
        return userId;
    }

    /** The one character rule, shared with {@link GroupName}. */
    static boolean isValid(String value) {
        return value != null && VALID.matcher(value).matches();
    }
}
