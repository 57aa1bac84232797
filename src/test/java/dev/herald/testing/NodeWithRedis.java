package dev.herald.testing;

import java.util.Map;

/**
 * One Herald node on a server ({@link ServerRuntime}) with a durable redis-server of its own, started together and
 * closed together (node first): the setup of a black-box suite that needs nothing else.
 */
public record NodeWithRedis(RedisServer redis, HeraldNode node) implements AutoCloseable {

    /** Starts Redis, then the node (logs in {@code target/<logs>/<name>.log}); returns once the node is ready. */
    public static NodeWithRedis start(ServerRuntime server, String name, String logs) {
        return start(server, name, logs, Map.of());
    }

    /** As {@link #start(ServerRuntime, String, String)}, with Herald's environment {@code overrides}. */
    public static NodeWithRedis start(ServerRuntime server, String name, String logs, Map<String, String> overrides) {
        RedisServer redis = RedisServer.startDurable();
        try {
            HeraldNode node = HeraldNode.create(server, name, logs, redis.uri(), overrides);
            NodeWithRedis started = new NodeWithRedis(redis, node);
            try {
                node.start();
            } catch (RuntimeException e) {
                started.close();
                throw e;
            }
            return started;
        } catch (RuntimeException e) {
            redis.close();
            throw e;
        }
    }

    @Override
    public void close() {
        node.close();
        redis.close();
    }
}
