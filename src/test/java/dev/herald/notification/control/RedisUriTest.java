package dev.herald.notification.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.HostAndPort;

class RedisUriTest {

    @Test
    void standaloneKeepsTodaysForm() {
        RedisUri uri = RedisUri.parse("redis://publisher:s3cret@127.0.0.1:6380/2");
        assertEquals(RedisUri.Mode.STANDALONE, uri.mode());
        assertEquals(List.of(new HostAndPort("127.0.0.1", 6380)), uri.nodes());
        assertEquals("publisher", uri.user());
        assertEquals("s3cret", uri.password());
        assertEquals(2, uri.database());
        assertFalse(uri.tls());
    }

    @Test
    void sentinelNamesItsSentinelsAndThePrimary() {
        RedisUri uri = RedisUri.parse("rediss+sentinel://herald:p%40ss@10.0.0.1:26379,10.0.0.2:26380/mymaster");
        assertEquals(RedisUri.Mode.SENTINEL, uri.mode());
        assertEquals(List.of(new HostAndPort("10.0.0.1", 26379), new HostAndPort("10.0.0.2", 26380)), uri.nodes());
        assertEquals("herald", uri.user());
        assertEquals("p@ss", uri.password());
        assertEquals("mymaster", uri.masterName());
        assertTrue(uri.tls());
    }

    @Test
    void clusterNamesItsSeeds() {
        RedisUri uri = RedisUri.parse("redis+cluster://:only-password@127.0.0.1:7000,127.0.0.1:7001");
        assertEquals(RedisUri.Mode.CLUSTER, uri.mode());
        assertEquals(2, uri.nodes().size());
        assertNull(uri.user());
        assertEquals("only-password", uri.password());
        assertNull(uri.masterName());
    }

    @Test
    void describeNeverShowsTheCredentials() {
        String described = RedisUri.parse("redis+sentinel://u:topsecret@127.0.0.1:26379/herald").describe();
        assertFalse(described.contains("topsecret"), described);
        assertTrue(described.contains("127.0.0.1:26379"), described);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "127.0.0.1:6379", "http://127.0.0.1:6379", "redis+sentinel://127.0.0.1:26379",
            "redis+sentinel://127.0.0.1:26379/", "redis+cluster://127.0.0.1", "redis+cluster://127.0.0.1:7000/0",
            "redis+cluster://127.0.0.1:70000", "redis+cluster://127.0.0.1:x", "redis+cluster://127.0.0.1:7000,,127.0.0.1:7001",
            "redis+sentinel://u:secret@127.0.0.1/x"})
    void refusesWhatIsNotARedisUriWithoutRepeatingIt(String text) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> RedisUri.parse(text));
        assertTrue(refused.getMessage().contains("redis+sentinel://"), refused.getMessage());
        assertFalse(refused.getMessage().contains("secret"), refused.getMessage());
    }
}
