package dev.herald.security.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.Arrays;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Which browser pages may open sockets ({@code herald.websocket.allowed-origins}): the listed origins, or any
 * with {@code *}; with none configured, only pages served by this host. Requests without Origin (non-browser
 * clients) are not asked.
 */
@ApplicationScoped
public class OriginPolicy {

    @Inject
    @ConfigProperty(name = "herald.websocket.allowed-origins")
    Optional<String> allowedOrigins;

    /** @param host the request's Host header, or null */
    public boolean allows(String origin, String host) {
        if (allowedOrigins.isPresent()) {
            return Arrays.stream(allowedOrigins.get().split(",")).map(String::strip)
                    .anyMatch(allowed -> allowed.equals("*") || allowed.equalsIgnoreCase(origin));
        }
        try {
            URI page = URI.create(origin);
            int port = page.getPort() >= 0 ? page.getPort() : "https".equals(page.getScheme()) ? 443 : 80;
            String server = host == null ? "" : host.contains(":") ? host : host + ":" + port;
            return server.equalsIgnoreCase(page.getHost() + ":" + port);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
