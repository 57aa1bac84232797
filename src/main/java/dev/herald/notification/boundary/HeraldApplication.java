package dev.herald.notification.boundary;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import java.util.Map;

/**
 * REST routes live at the application's root: {@code /notify}, {@code /history}. The OpenAPI document's static
 * part (info, shared responses, schemas) is {@code META-INF/openapi.yaml}. No {@code @LoginConfig}: Herald
 * verifies bearer tokens itself ({@code dev.herald.security.boundary.Guard} says why).
 */
@ApplicationPath("/")
public class HeraldApplication extends Application {

    /**
     * Jersey (Payara) work Herald does not use, skipped on every request: bean validation (no constraints
     * anywhere) and the WADL document. Other JAX-RS implementations ignore these names.
     */
    @Override
    public Map<String, Object> getProperties() {
        return Map.of("jersey.config.beanValidation.disable.server", true,
                "jersey.config.server.wadl.disableWadl", true);
    }
}
