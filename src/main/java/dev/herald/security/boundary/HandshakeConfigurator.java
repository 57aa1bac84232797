package dev.herald.security.boundary;

import dev.herald.security.control.InvalidTokenException;
import dev.herald.security.control.TokenVerifier;
import dev.herald.security.entity.Caller;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Hands the verified caller to the endpoint. {@link HandshakeFilter} has already refused every bad
 * handshake with an HTTP status; this verifies the same token again because a servlet filter cannot pass
 * objects into the WebSocket session portably.
 */
public class HandshakeConfigurator extends ServerEndpointConfig.Configurator {

    public static final String CALLER = Caller.class.getName();

    @Override
    public void modifyHandshake(ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
        Map<String, List<String>> headers = request.getHeaders();
        boolean queryTokens = ConfigProvider.getConfig().getValue("herald.auth.query-token", Boolean.class);
        List<String> query = queryTokens ? request.getParameterMap().getOrDefault("token", List.of()) : List.of();
        String token = HandshakeTokens.find(name -> headers.entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase(name)).flatMap(e -> e.getValue().stream()).toList(), query);
        config.getUserProperties().remove(CALLER);
        if (token != null) {
            try {
                config.getUserProperties().put(CALLER, CDI.current().select(TokenVerifier.class).get().verify(token));
            } catch (InvalidTokenException e) {
                // left out: the endpoint closes a session without a caller
            }
        }
    }

    /**
     * {@code herald.2} whenever the client offers it, wherever in its list; otherwise the first offered one Herald
     * supports, or none. Decided here, not by the container: Tyrus, Open Liberty and Undertow each have their own
     * default (and their own way of splitting the header), and a client offering both must get the same answer
     * from all three. Entries are trimmed and split at commas in case a container hands over a header's raw value.
     */
    @Override
    public String getNegotiatedSubprotocol(List<String> supported, List<String> requested) {
        List<String> offered = requested == null ? List.of() : requested.stream()
                .flatMap(value -> Arrays.stream(value.split(","))).map(String::strip).toList();
        if (offered.contains(HandshakeTokens.INBOX_SUBPROTOCOL) && supported.contains(HandshakeTokens.INBOX_SUBPROTOCOL)) {
            return HandshakeTokens.INBOX_SUBPROTOCOL;
        }
        return offered.stream().filter(supported::contains).findFirst().orElse("");
    }
}
