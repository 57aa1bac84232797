package dev.herald.security.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HandshakeTokensTest {

    private static String find(Map<String, List<String>> headers, List<String> query) {
        return HandshakeTokens.find(name -> headers.getOrDefault(name, List.of()), query);
    }

    @Test
    void anAuthorizationHeaderComesFirst() {
        assertEquals("h", find(Map.of("Authorization", List.of("Bearer h"), "Sec-WebSocket-Protocol", List.of("herald, bearer.p")),
                List.of("q")));
        assertEquals("h", find(Map.of("Authorization", List.of("bearer h")), List.of()), "the scheme is case-insensitive");
    }

    @Test
    void browsersOfferTheTokenAsASubprotocolNextToHerald() {
        assertEquals("eyJ.x.y", find(Map.of("Sec-WebSocket-Protocol", List.of("herald, bearer.eyJ.x.y")), List.of("q")));
    }

    @Test
    void theQueryParameterIsTheLastResortAndCanBeTurnedOff() {
        assertEquals("q", find(Map.of("Authorization", List.of("Basic abc")), List.of("q")));
        assertNull(find(Map.of("Sec-WebSocket-Protocol", List.of("herald")), List.of()), "with query tokens off, nothing");
    }

    @Test
    void herald2IsSelectedWheneverOfferedAndTodaysClientsGetHerald() {
        HandshakeConfigurator configurator = new HandshakeConfigurator();
        List<String> supported = List.of("herald", "herald.2");
        assertEquals("herald.2", configurator.getNegotiatedSubprotocol(supported, List.of("herald", "herald.2", "bearer.eyJ.x.y")),
                "offered after herald, still chosen");
        assertEquals("herald.2", configurator.getNegotiatedSubprotocol(supported, List.of("bearer.eyJ.x.y", "herald.2")));
        assertEquals("herald.2", configurator.getNegotiatedSubprotocol(supported, List.of("herald, herald.2 ,bearer.eyJ.x.y")),
                "a header's raw value");
        assertEquals("herald", configurator.getNegotiatedSubprotocol(supported, List.of("bearer.eyJ.x.y", "herald")));
        assertEquals("", configurator.getNegotiatedSubprotocol(supported, List.of("bearer.eyJ.x.y")), "none offered: none selected");
        assertEquals("", configurator.getNegotiatedSubprotocol(supported, List.of()));
    }
}
