package dev.herald.security.control;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.security.entity.Caller;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Who is a member of a group: the token's groups claim holds the configured prefix + the group's name. */
class GroupGrantsTest {

    private static GroupGrants grants(String prefix) {
        GroupGrants grants = new GroupGrants();
        grants.prefix = prefix;
        grants.adminGroup = "admin";
        return grants;
    }

    private static Caller caller(String... groups) {
        return new Caller("someone", Set.of(groups), Instant.MAX);
    }

    @Test
    void theDefaultPrefixGrantsTheNamedGroupOnly() {
        GroupGrants grants = grants("group:");
        Caller member = caller("group:region:us", "publisher");
        assertTrue(grants.isMember(member, "region:us"));
        assertTrue(grants.mayRead(member, "region:us"));
        assertFalse(grants.isMember(member, "region:eu"), "another group");
        assertFalse(grants.isMember(member, "region"), "a prefix of the group's name");
        assertFalse(grants.isMember(member, "group:region:us"), "the token group is not itself a group name");
        assertFalse(grants.isMember(member, "publisher"), "a token group without the prefix grants nothing");
    }

    @Test
    void withoutThePrefixAGroupIsNotGranted() {
        assertFalse(grants("group:").isMember(caller("region:us"), "region:us"));
    }

    @Test
    void theConfiguredPrefixIsTheOneThatCounts() {
        GroupGrants grants = grants("herald-");
        assertTrue(grants.isMember(caller("herald-team:payments"), "team:payments"));
        assertFalse(grants.isMember(caller("group:team:payments"), "team:payments"), "the default prefix no longer grants");
    }

    @Test
    void theAdminGroupReadsEveryGroupWithoutBeingAMember() {
        GroupGrants grants = grants("group:");
        Caller admin = caller("admin");
        assertTrue(grants.mayRead(admin, "region:us"));
        assertFalse(grants.isMember(admin, "region:us"), "reading history is not membership");
        assertFalse(grants.mayRead(caller("publisher"), "region:us"), "publishers are not readers");
        assertFalse(grants.mayRead(caller("group:admin"), "region:us"), "a member of the group named admin is no admin");
    }
}
