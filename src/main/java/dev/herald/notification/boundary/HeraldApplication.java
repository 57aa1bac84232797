package dev.herald.notification.boundary;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import org.eclipse.microprofile.auth.LoginConfig;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/** REST routes live at the application's root: {@code /notify}, {@code /history}. */
@ApplicationPath("/")
@ApplicationScoped // a CDI bean, so MP-JWT's @LoginConfig takes effect and JsonWebToken can be injected
@LoginConfig(authMethod = "MP-JWT", realmName = "herald")
@OpenAPIDefinition(info = @Info(title = "Herald", version = "0.1", description = """
        Real-time notifications: publish over REST, receive over WebSocket.

        WebSocket routes (OpenAPI cannot describe them):
        `/ws/notifications` (every broadcast) and `/ws/notifications/{userId}` (every notification for that user).
        Add `?since=<id>` to first receive what was stored after that id.
        Each frame is the posted object with `id` and `ts` in front.
        Close codes: 1001 reconnect, 1008 invalid request, 1013 broker unavailable (retry),
        4410 `since` outside history, 4429 too slow (reconnect with `since`)."""))
@SecurityScheme(securitySchemeName = "jwt", type = SecuritySchemeType.HTTP, scheme = "bearer", bearerFormat = "JWT")
public class HeraldApplication extends Application {
}
