package dev.herald.notification.control;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * Where Herald's Redis is, from {@code herald.redis.uri} (or the subscriber's URI): one server
 * ({@code redis://[user:password@]host:port[/db]}), a primary watched by Sentinels
 * ({@code redis+sentinel://[user:password@]host:port[,host:port…]/<master-name>}) or a Cluster
 * ({@code redis+cluster://[user:password@]host:port[,host:port…]}, the seeds); {@code rediss…} for TLS.
 * The credentials are those of the Redis servers (Sentinels are asked without any). Error messages never
 * repeat the URI, which may hold a password.
 *
 * @param nodes      the server, the Sentinels, or the Cluster seeds
 * @param masterName the name the Sentinels know the primary by; null unless {@link Mode#SENTINEL}
 */
record RedisUri(Mode mode, boolean tls, List<HostAndPort> nodes, String user, String password, int database, String masterName) {

    enum Mode { STANDALONE, SENTINEL, CLUSTER }

    static final String FORMS = "redis://[user:password@]host:port[/db], "
            + "redis+sentinel://[user:password@]host:port[,host:port…]/<master-name> or "
            + "redis+cluster://[user:password@]host:port[,host:port…] (rediss… for TLS)";

    RedisUri {
        nodes = List.copyOf(nodes);
    }

    static RedisUri parse(String text) {
        String scheme = text.contains("://") ? text.substring(0, text.indexOf("://")).toLowerCase(Locale.ROOT) : "";
        return switch (scheme) {
            case "redis", "rediss" -> standalone(text);
            case "redis+sentinel", "rediss+sentinel" -> multiNode(text, scheme, Mode.SENTINEL);
            case "redis+cluster", "rediss+cluster" -> multiNode(text, scheme, Mode.CLUSTER);
            default -> throw invalid("unknown scheme");
        };
    }

    private static RedisUri standalone(String text) {
        URI uri;
        try {
            uri = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw invalid("not a URI");
        }
        if (!JedisURIHelper.isValid(uri)) {
            throw invalid("host and port are required");
        }
        return new RedisUri(Mode.STANDALONE, JedisURIHelper.isRedisSSLScheme(uri), List.of(JedisURIHelper.getHostAndPort(uri)),
                JedisURIHelper.getUser(uri), JedisURIHelper.getPassword(uri), JedisURIHelper.getDBIndex(uri), null);
    }

    /** {@code scheme://[user[:password]@]host:port[,host:port…][/path]}: java.net.URI cannot parse several hosts. */
    private static RedisUri multiNode(String text, String scheme, Mode mode) {
        String rest = text.substring(scheme.length() + "://".length());
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash + 1);
        int at = authority.lastIndexOf('@');
        String user = null;
        String password = null;
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            int colon = userInfo.indexOf(':');
            user = colon < 0 ? decode(userInfo) : decode(userInfo.substring(0, colon));
            password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
            if (user.isEmpty()) {
                user = null;
            }
            authority = authority.substring(at + 1);
        }
        List<HostAndPort> nodes = new ArrayList<>();
        for (String node : authority.split(",", -1)) {
            nodes.add(hostAndPort(node.strip()));
        }
        String masterName = null;
        if (mode == Mode.SENTINEL) {
            masterName = decode(path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
            if (masterName.isEmpty() || masterName.contains("/")) {
                throw invalid("a Sentinel URI ends with /<master-name>");
            }
        } else if (!path.isEmpty()) {
            throw invalid("a Cluster URI has no path (Redis Cluster has only database 0)");
        }
        return new RedisUri(mode, scheme.startsWith("rediss"), nodes, user, password, 0, masterName);
    }

    private static HostAndPort hostAndPort(String node) {
        int colon = node.lastIndexOf(':');
        if (colon <= 0 || colon == node.length() - 1) {
            throw invalid("every node is host:port");
        }
        String host = node.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(node.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw invalid("a port is 1 to 65535");
            }
            return new HostAndPort(host, port);
        } catch (NumberFormatException e) {
            throw invalid("a port is a number");
        }
    }

    private static String decode(String text) {
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static IllegalArgumentException invalid(String why) {
        return new IllegalArgumentException("not a Redis URI (" + why + "); use " + FORMS);
    }

    /** For logs: the mode and the nodes, never the credentials. */
    String describe() {
        String where = nodes.stream().map(HostAndPort::toString).reduce((a, b) -> a + "," + b).orElse("");
        return switch (mode) {
            case STANDALONE -> "redis at " + where;
            case SENTINEL -> "redis primary '" + masterName + "' from Sentinels " + where;
            case CLUSTER -> "redis cluster from seeds " + where;
        } + (tls ? " (TLS)" : "");
    }
}
