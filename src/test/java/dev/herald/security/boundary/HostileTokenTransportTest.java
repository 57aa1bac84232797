package dev.herald.security.boundary;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.testing.HostileJson;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where a token travels (Authorization, Sec-WebSocket-Protocol, ?token=): any header text yields a token it holds, or none. */
class HostileTokenTransportTest {

    @Test
    void aBearerHeaderYieldsAPartOfItselfOrNothing() {
        HostileJson.check("bearer", 1000, HostileTokenTransportTest::header, authorization -> {
            String token = Bearer.token(authorization);
            assertTrue(token == null || authorization.contains(token), authorization);
            return token == null ? "none" : "token";
        });
    }

    @Test
    void aHandshakeYieldsATokenItCarriesOrNothing() {
        HostileJson.check("handshake token", 1000, hostile -> List.of(header(hostile), header(hostile), header(hostile)), values -> {
            Map<String, List<String>> headers = Map.of("Authorization", List.of(values.get(0)), "Sec-WebSocket-Protocol", List.of(values.get(1)));
            String token = HandshakeTokens.find(name -> headers.getOrDefault(name, List.of()), values.get(2).isEmpty() ? List.of() : List.of(values.get(2)));
            assertTrue(token == null || values.get(0).contains(token) || values.get(1).contains(token) || values.get(2).equals(token));
            return token == null ? "none" : "token";
        });
    }

    private static String header(HostileJson hostile) {
        return hostile.anyOf(() -> hostile.anyString(40), () -> hostile.from("Bearer bearer., \t=", 30), () -> "",
                () -> hostile.oneOf("Bearer", "Bearer ", "bearer x.y.z", "BEARER  a", "Basic Zm9v", "bearer.", "herald, bearer.", ","));
    }
}
