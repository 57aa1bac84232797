package dev.herald.security.control;

import dev.herald.security.entity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The one rule for who is a member of a Herald group: a token whose {@code groups} claim holds
 * {@code herald.channels.group-prefix} + the group's name ({@code "group:region:us"} grants {@code region:us} with the
 * default prefix). The prefix keeps Herald's groups apart from the identity provider's other groups (the publisher
 * and admin groups among them). Asked on every call, never cached: a token without the group no longer grants it.
 */
@ApplicationScoped
public class GroupGrants {

    @Inject
    @ConfigProperty(name = "herald.channels.group-prefix")
    String prefix;

    @Inject
    @ConfigProperty(name = "herald.auth.admin-group")
    String adminGroup;

    /** Whether the caller's token makes it a member of the group. */
    public boolean isMember(Caller caller, String group) {
        return caller.isIn(grantFor(group));
    }

    /** A group's history is for its members and the admin group. */
    public boolean mayRead(Caller caller, String group) {
        return isMember(caller, group) || caller.isIn(adminGroup);
    }

    /** The entry of a token's groups claim that grants the group. */
    public String grantFor(String group) {
        return prefix + group;
    }
}
