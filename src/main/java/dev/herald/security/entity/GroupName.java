package dev.herald.security.entity;

import dev.herald.problem.entity.BadInputException;

/** What a group's name may be: the characters of a user id, so a group's stream name and Redis keys are as safe. */
public final class GroupName {

    public static final String RULE = "group must be 1 to 128 characters of A-Z a-z 0-9 . _ @ : -, not only dots";

    private GroupName() {
    }

    /** The name unchanged, or a BadInputException saying the rule. */
    public static String check(String group) {
        if (!UserId.isValid(group)) {
            throw new BadInputException(RULE);
        }
        return group;
    }
}
