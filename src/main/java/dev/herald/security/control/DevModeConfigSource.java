package dev.herald.security.control;

import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * In development mode, tells MicroProfile JWT (and Herald's handshake check) to trust the generated
 * development key and issuer. Empty otherwise, so production config is never touched.
 */
public class DevModeConfigSource implements ConfigSource {

    private final Map<String, String> properties = DevMode.isOn()
            ? Map.of("mp.jwt.verify.publickey", DevMode.publicKeyPem(), "mp.jwt.verify.issuer", DevMode.ISSUER)
            : Map.of();

    @Override
    public Set<String> getPropertyNames() {
        return properties.keySet();
    }

    @Override
    public String getValue(String propertyName) {
        return properties.get(propertyName);
    }

    @Override
    public String getName() {
        return "herald-dev-mode";
    }

    @Override
    public int getOrdinal() {
        return 500;
    }
}
