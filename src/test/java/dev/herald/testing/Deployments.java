package dev.herald.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;

/**
 * The WAR the build produced, as integration tests deploy it: unchanged but for its config file, which
 * gets the Redis engine on the test's own redis-server, the test token key, and the test's own settings.
 * <p>
 * When to use: one Payara Micro deployment per test class through Arquillian ({@code arquillian.xml}), as
 * HeraldIT and SecurityIT do; for several nodes, restarts, or another server use {@link HeraldNode}.
 */
public final class Deployments {

    private static final String CONFIG = "WEB-INF/classes/META-INF/microprofile-config.properties";

    private Deployments() {
    }

    public static WebArchive herald(RedisServer redis, String extraConfig) {
        WebArchive war = ShrinkWrap.create(ZipImporter.class, "herald.war")
                .importFrom(new File(System.getProperty("herald.war", "target/herald.war")))
                .as(WebArchive.class);
        String original;
        try (InputStream in = war.get(CONFIG).getAsset().openStream()) {
            original = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        war.delete(CONFIG);
        war.add(new StringAsset(original + "\n# added by the test\nherald.broker=redis\nherald.redis.uri=" + redis.uri()
                + "\n" + TestTokens.config() + extraConfig + "\n"), CONFIG);
        return war;
    }

    /** A redis-server for one test class, killed at JVM exit even if the class is aborted. */
    public static RedisServer redisForThisClass() {
        RedisServer redis = RedisServer.start();
        Runtime.getRuntime().addShutdownHook(new Thread(redis::close, "redis-server shutdown"));
        return redis;
    }
}
