package dev.herald.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The deployment files under payara-config/ (Dockerfile, compose, nginx, Kubernetes, Grafana, Prometheus
 * rules) agree with the code: configuration keys, health paths, the port, metric names, file paths and
 * selectors. Reads files only; nothing is started.
 */
class DeploymentFilesTest {

    static final Path ROOT = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    static final Path CONFIG = ROOT.resolve("src/main/resources/META-INF/microprofile-config.properties");
    static final Path TELEMETRY = ROOT.resolve("src/main/java/dev/herald/operations/boundary/MicroProfileTelemetry.java");
    static final Path DOCKERFILE = ROOT.resolve("payara-config/docker/Dockerfile");
    static final Path COMPOSE = ROOT.resolve("payara-config/docker/docker-compose.yml");
    static final Path NGINX = ROOT.resolve("payara-config/docker/nginx.conf");
    static final Path KUBERNETES = ROOT.resolve("payara-config/kubernetes/herald.yaml");
    static final Path DASHBOARD = ROOT.resolve("payara-config/monitoring/grafana-dashboard.json");
    static final Path ALERTS = ROOT.resolve("payara-config/monitoring/prometheus-alerts.yml");

    static final int PORT = 8080;
    /** Produced by ./mvnw package (finalName herald), so not in the repository. */
    static final String BUILT_WAR = "target/herald.war";
    /** Standard MicroProfile JWT keys (mp.jwt.verify.*) in environment form; not Herald's own. */
    static final Set<String> MP_JWT_VARIABLES = Set.of("MP_JWT_VERIFY_PUBLICKEY", "MP_JWT_VERIFY_PUBLICKEY_LOCATION",
            "MP_JWT_VERIFY_PUBLICKEY_ALGORITHM", "MP_JWT_VERIFY_ISSUER", "MP_JWT_VERIFY_AUDIENCES", "MP_JWT_VERIFY_CLOCK_SKEW");

    /** Room left for Payara to stop after Herald's sessions are closed. */
    static final long PAYARA_SHUTDOWN_SECONDS = 10;

    static final Pattern METRIC = Pattern.compile("\\bherald_[a-z0-9_]+\\b");

    // ---------------------------------------------------------------- configuration keys

    @Test
    void everyHeraldVariableIsTheEnvironmentFormOfAConfigKey() {
        Set<String> known = configKeys().stream().map(DeploymentFilesTest::environmentForm).collect(Collectors.toSet());
        Map<String, Set<String>> used = variablesBySource("HERALD_");
        assertFalse(used.values().stream().allMatch(Set::isEmpty), "no HERALD_* variable found at all");
        used.forEach((source, names) -> names.forEach(name -> assertTrue(known.contains(name),
                () -> source + " sets " + name + ", which is no key in microprofile-config.properties " + known)));
    }

    @Test
    void secretHoldsOnlyHeraldVariablesAndStandardJwtKeys() {
        for (String name : keys(secret())) {
            assertTrue(name.startsWith("HERALD_") || MP_JWT_VARIABLES.contains(name),
                    () -> "Secret herald-secrets has " + name + ": neither Herald's nor a standard MP JWT key");
        }
        assertTrue(keys(secret()).contains("HERALD_REDIS_URI"), "the Redis URI (with its password) belongs in the Secret");
        variablesBySource("MP_JWT_").forEach((source, names) -> names.forEach(name -> assertTrue(
                MP_JWT_VARIABLES.contains(name), () -> source + " sets " + name + ", no standard MP JWT key")));
    }

    @Test
    void noDeploymentEnablesDevelopmentMode() {
        // dev mode trusts a key each node generates for itself and mints tokens for anyone who asks
        variablesBySource("HERALD_").forEach((source, names) ->
                assertFalse(names.contains("HERALD_DEV_MODE"), source + " enables development mode"));
        assertFalse(dockerfileEnv().getOrDefault("JVM_ARGS", "").contains("herald.dev-mode"), "Dockerfile JVM_ARGS");
    }

    @Test
    void everyClusteredSetupSelectsTheRedisBroker() {
        assertEquals("redis", String.valueOf(map(kubernetes("ConfigMap").get("data")).get("HERALD_BROKER")), "ConfigMap");
        assertEquals("redis", dockerfileEnv().get("HERALD_BROKER"), "Dockerfile ENV");
        for (String node : heraldServices()) {
            String uri = composeEnvironment(node).get("HERALD_REDIS_URI");
            assertNotNull(uri, () -> node + " has no HERALD_REDIS_URI");
            Matcher hostPort = Pattern.compile("rediss?://(?:[^@/]*@)?([^:/@]+):(\\d+)").matcher(uri);
            assertTrue(hostPort.lookingAt(), () -> node + " HERALD_REDIS_URI " + uri);
            String host = hostPort.group(1);
            assertTrue(composeServices().containsKey(host)
                    && String.valueOf(compose(host).get("image")).startsWith("redis:"),
                    () -> node + " reaches Redis at " + host + ", which is no redis service in the compose file");
        }
    }

    @Test
    void deploymentLoadsTheConfigMapAndTheSecret() {
        Set<String> loaded = new TreeSet<>();
        for (Object source : list(container().get("envFrom"))) {
            Map<String, Object> from = map(source);
            for (String kind : List.of("configMapRef", "secretRef")) {
                if (from.containsKey(kind)) {
                    loaded.add(kind + ":" + map(from.get(kind)).get("name"));
                }
            }
        }
        assertEquals(Set.of("configMapRef:" + name(kubernetes("ConfigMap")), "secretRef:" + name(secret())), loaded);
    }

    // ---------------------------------------------------------------- health and port

    @Test
    void probesUseTheReadinessAndLivenessGroups() {
        Map<String, Object> container = container();
        assertEquals("/health/ready", probePath(container, "readinessProbe"));
        assertEquals("/health/live", probePath(container, "livenessProbe"));
        assertTrue(Set.of("/health/started", "/health/live").contains(probePath(container, "startupProbe")),
                "startupProbe on /health/started or /health/live");
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            Object port = map(map(container.get(probe)).get("httpGet")).get("port");
            assertEquals(PORT, containerPort(port), probe + " port");
        }
        String healthcheck = String.join(" ", dockerfile("HEALTHCHECK"));
        if (!healthcheck.isEmpty()) {
            assertTrue(healthcheck.contains(":" + PORT + "/health/ready"), "Dockerfile HEALTHCHECK: " + healthcheck);
        }
    }

    @Test
    void heraldListensOn8080Everywhere() {
        Map<String, Object> http = list(container().get("ports")).stream().map(DeploymentFilesTest::map)
                .filter(p -> "http".equals(p.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named http"));
        assertEquals(PORT, http.get("containerPort"), "containerPort");

        for (Object port : list(map(kubernetes("Service").get("spec")).get("ports"))) {
            assertEquals(PORT, containerPort(map(port).get("targetPort")), "Service targetPort");
        }
        Map<String, Object> annotations = map(map(podTemplate().get("metadata")).get("annotations"));
        assertEquals(String.valueOf(PORT), String.valueOf(annotations.get("prometheus.io/port")), "prometheus.io/port");

        Set<String> exposed = dockerfile("EXPOSE").stream().flatMap(e -> List.of(e.split("\\s+")).stream())
                .map(p -> p.replace("/tcp", "")).collect(Collectors.toSet());
        assertEquals(Set.of(String.valueOf(PORT)), exposed, "Dockerfile EXPOSE");
        List<String> cmd = dockerfileCmd();
        assertEquals(String.valueOf(PORT), argument(cmd, "--port"), "Payara Micro --port");

        Map<String, Integer> upstream = nginxUpstreamServers();
        assertFalse(upstream.isEmpty(), "nginx upstream has no server");
        upstream.forEach((host, port) -> assertEquals(PORT, port, "nginx upstream " + host));
        assertEquals(new TreeSet<>(heraldServices()), new TreeSet<>(upstream.keySet()),
                "nginx upstream servers are the compose services built from the Dockerfile");
    }

    // ---------------------------------------------------------------- metrics

    @Test
    void dashboardAndAlertsUseOnlyMetricsHeraldRegisters() {
        Set<String> exported = exportedMetricNames();
        Map<String, List<String>> expressions = new LinkedHashMap<>();
        expressions.put("grafana-dashboard.json", dashboardExpressions());
        expressions.put("prometheus-alerts.yml", alertExpressions());
        expressions.forEach((file, exprs) -> {
            Set<String> used = exprs.stream().flatMap(e -> METRIC.matcher(e).results().map(MatchResult::group))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertFalse(used.isEmpty(), file + " uses no herald_* metric");
            for (String name : used) {
                assertTrue(exported.contains(name), () -> file + " uses " + name
                        + ", which MicroProfileTelemetry does not export; it exports " + exported);
            }
        });
    }

    @Test
    void timerQuantilesAreScaledFromNanoseconds() {
        // Payara exports herald_*_seconds{quantile=…}, _max and _mean in nanoseconds despite the name.
        Pattern nanoseconds = Pattern.compile("herald_[a-z0-9_]+_seconds(\\{[^}]*quantile|_max\\b|_mean\\b)");
        List<String> all = new ArrayList<>(dashboardExpressions());
        all.addAll(alertExpressions());
        for (String expr : all) {
            if (nanoseconds.matcher(expr).find()) {
                assertTrue(expr.replace(" ", "").matches(".*/(1e9|1000000000)\\b.*"), () -> "not divided by 1e9: " + expr);
            }
        }
    }

    @Test
    void dashboardTakesItsPrometheusDatasourceAsAnInput() {
        JsonObject dashboard = dashboard();
        assertTrue(dashboard.getJsonArray("__inputs").stream().map(JsonValue::asJsonObject)
                .anyMatch(i -> "DS_PROMETHEUS".equals(i.getString("name")) && "prometheus".equals(i.getString("pluginId"))));
        for (JsonObject panel : queryPanels(dashboard.getJsonArray("panels"))) {
            assertEquals("${DS_PROMETHEUS}", panel.getJsonObject("datasource").getString("uid"), panel.getString("title"));
        }
    }

    // ---------------------------------------------------------------- shutdown, files, selectors

    @Test
    void gracePeriodCoversPreStopTheCloseWindowAndPayarasShutdown() {
        Map<String, Object> pod = map(podTemplate().get("spec"));
        long grace = ((Number) pod.get("terminationGracePeriodSeconds")).longValue();
        long closeWindow = closeWindowSeconds(String.valueOf(map(kubernetes("ConfigMap").get("data"))
                .getOrDefault("HERALD_SHUTDOWN_CLOSE_WINDOW", "")));
        long preStop = preStopSleepSeconds();
        long needed = Math.max(30, preStop + closeWindow + PAYARA_SHUTDOWN_SECONDS);
        assertTrue(grace >= needed, () -> "terminationGracePeriodSeconds " + grace + " < " + needed
                + " (preStop " + preStop + " s + close window " + closeWindow + " s + Payara " + PAYARA_SHUTDOWN_SECONDS + " s)");

        for (String node : heraldServices()) {
            String period = String.valueOf(compose(node).get("stop_grace_period"));
            Matcher m = Pattern.compile("(\\d+)(s|m)").matcher(period);
            assertTrue(m.matches(), () -> node + " stop_grace_period " + period);
            long seconds = Long.parseLong(m.group(1)) * ("m".equals(m.group(2)) ? 60 : 1);
            long window = closeWindowSeconds(composeEnvironment(node).getOrDefault("HERALD_SHUTDOWN_CLOSE_WINDOW", ""));
            long composeNeeded = Math.max(30, window + PAYARA_SHUTDOWN_SECONDS);
            assertTrue(seconds >= composeNeeded, () -> node + " stop_grace_period " + period + " < " + composeNeeded + " s");
        }
    }

    @Test
    void dockerfileCopiesFilesThatExistAndRunsWhatItCopies() {
        Set<String> destinations = new TreeSet<>();
        for (String copy : dockerfile("COPY")) {
            List<String> words = List.of(copy.split("\\s+")).stream().filter(w -> !w.startsWith("--")).toList();
            assertTrue(words.size() >= 2, "COPY " + copy);
            destinations.add(words.get(words.size() - 1));
            for (String source : words.subList(0, words.size() - 1)) {
                assertTrue(source.equals(BUILT_WAR) || Files.isRegularFile(ROOT.resolve(source)),
                        () -> "Dockerfile copies " + source + ", which is not in the repository");
            }
        }
        assertTrue(dockerfile("ADD").isEmpty(), "use COPY");
        List<String> cmd = dockerfileCmd();
        for (String option : List.of("--deploy", "--prebootcommandfile", "--systemproperties", "--logproperties")) {
            String path = argument(cmd, option);
            assertTrue(destinations.contains(path), () -> option + " " + path + " is not a COPY destination " + destinations);
        }
        assertEquals("/", argument(cmd, "--contextroot"));
        assertTrue(cmd.containsAll(List.of("--nohazelcast", "--disablephonehome")), "CMD " + cmd);
        assertTrue(dockerfileEnv().getOrDefault("JVM_ARGS", "").contains("-Dhazelcast.phone.home.enabled=false"));
        List<String> users = dockerfile("USER");
        assertFalse(users.isEmpty() || Set.of("root", "0").contains(users.get(users.size() - 1)), "runs as root");
    }

    @Test
    void selectorsMatchThePodLabels() {
        Map<String, Object> labels = map(map(podTemplate().get("metadata")).get("labels"));
        Map<String, Object> deployment = matchLabels(kubernetes("Deployment"));
        Map<String, Object> service = map(map(kubernetes("Service").get("spec")).get("selector"));
        Map<String, Object> budget = matchLabels(kubernetes("PodDisruptionBudget"));
        for (var selector : Map.of("Deployment", deployment, "Service", service, "PodDisruptionBudget", budget).entrySet()) {
            assertFalse(selector.getValue().isEmpty(), selector.getKey() + " selects everything");
            assertTrue(labels.entrySet().containsAll(selector.getValue().entrySet()),
                    () -> selector.getKey() + " selector " + selector.getValue() + " does not match pod labels " + labels);
        }
        assertEquals("policy/v1", kubernetes("PodDisruptionBudget").get("apiVersion"));
    }

    // ================================================================ reading the code

    static Properties configDefaults() {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(CONFIG)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertFalse(properties.isEmpty(), "no keys in " + CONFIG);
        return properties;
    }

    /** Keys with a default, and optional keys documented as a commented-out line ({@code #herald.x=…}). */
    static Set<String> configKeys() {
        Set<String> keys = new TreeSet<>(configDefaults().stringPropertyNames());
        Matcher documented = Pattern.compile("(?m)^#\\s*(herald\\.[A-Za-z0-9.-]+)\\s*=").matcher(read(CONFIG));
        while (documented.find()) {
            keys.add(documented.group(1));
        }
        return keys;
    }

    /** MicroProfile Config's environment-variable form: non-alphanumerics to underscores, upper case. */
    static String environmentForm(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    /**
     * The Prometheus names of what MicroProfileTelemetry registers, read from its source: each
     * {@code withName("…")} / {@code metadata("…")} literal, typed by the registry call of its statement.
     */
    static Set<String> exportedMetricNames() {
        String source = read(TELEMETRY);
        Pattern literal = Pattern.compile("(?:withName|metadata)\\(\\s*\"([^\"]+)\"");
        Pattern registration = Pattern.compile("\\.(counter|timer|gauge|histogram|concurrentGauge|meter|simpleTimer)\\(");
        Set<String> names = new TreeSet<>();
        for (String statement : source.split(";")) {
            Matcher m = literal.matcher(statement);
            while (m.find()) {
                String name = m.group(1);
                Matcher type = registration.matcher(statement);
                if (!type.find()) {
                    fail("cannot tell how " + name + " is registered: " + statement.strip());
                }
                switch (type.group(1)) {
                    case "counter" -> names.add(name + "_total");
                    case "gauge" -> names.add(name);
                    // MP Metrics 5 exports timers in seconds; Payara adds _max and _mean next to the summary
                    case "timer" -> List.of("", "_count", "_sum", "_max", "_mean").forEach(s -> names.add(name + "_seconds" + s));
                    default -> fail(type.group(1) + " " + name + ": teach this test its Prometheus names");
                }
            }
        }
        assertFalse(names.isEmpty(), "no metric registrations found in " + TELEMETRY);
        return names;
    }

    /** The close window set there, else herald.shutdown.close-window's default, else none. */
    static long closeWindowSeconds(String configured) {
        String window = configured.isBlank() ? configDefaults().getProperty("herald.shutdown.close-window", "PT0S") : configured;
        return (long) Math.ceil(Duration.parse(window).toMillis() / 1000.0);
    }

    /** Seconds of an exec preStop {@code sleep N}; 0 without one. */
    static long preStopSleepSeconds() {
        Object lifecycle = container().get("lifecycle");
        if (lifecycle == null || map(lifecycle).get("preStop") == null) {
            return 0;
        }
        Map<String, Object> preStop = map(map(lifecycle).get("preStop"));
        if (preStop.get("sleep") != null) {
            return ((Number) map(preStop.get("sleep")).get("seconds")).longValue();
        }
        List<Object> command = list(map(preStop.get("exec")).get("command"));
        String last = String.valueOf(command.get(command.size() - 1));
        assertTrue(String.join(" ", command.stream().map(String::valueOf).toList()).contains("sleep") && last.matches("\\d+"),
                () -> "preStop is not a plain sleep: " + command);
        return Long.parseLong(last);
    }

    // ================================================================ reading the deployment files

    static String read(Path file) {
        assertTrue(Files.isRegularFile(file), () -> file + " is missing");
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Yaml yaml() {
        return new Yaml(new SafeConstructor(new LoaderOptions()));
    }

    static List<Map<String, Object>> kubernetesDocuments() {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : yaml().loadAll(read(KUBERNETES))) {
            if (document != null) {
                documents.add(map(document));
            }
        }
        return documents;
    }

    static Map<String, Object> kubernetes(String kind) {
        List<Map<String, Object>> found = kubernetesDocuments().stream().filter(d -> kind.equals(d.get("kind"))).toList();
        assertEquals(1, found.size(), () -> "herald.yaml should have exactly one " + kind);
        return found.get(0);
    }

    static Map<String, Object> secret() {
        return kubernetes("Secret");
    }

    static String name(Map<String, Object> resource) {
        return String.valueOf(map(resource.get("metadata")).get("name"));
    }

    static Set<String> keys(Map<String, Object> configMapOrSecret) {
        Set<String> keys = new TreeSet<>();
        for (String field : List.of("data", "stringData")) {
            if (configMapOrSecret.get(field) != null) {
                keys.addAll(map(configMapOrSecret.get(field)).keySet());
            }
        }
        return keys;
    }

    static Map<String, Object> matchLabels(Map<String, Object> resource) {
        return map(map(map(resource.get("spec")).get("selector")).get("matchLabels"));
    }

    static Map<String, Object> podTemplate() {
        return map(map(kubernetes("Deployment").get("spec")).get("template"));
    }

    static Map<String, Object> container() {
        List<Object> containers = list(map(podTemplate().get("spec")).get("containers"));
        assertEquals(1, containers.size(), "one container per pod");
        return map(containers.get(0));
    }

    /** A port number, or a port name resolved against the container's named ports. */
    static int containerPort(Object port) {
        if (port instanceof Number number) {
            return number.intValue();
        }
        return list(container().get("ports")).stream().map(DeploymentFilesTest::map)
                .filter(p -> Objects.equals(port, p.get("name"))).map(p -> ((Number) p.get("containerPort")).intValue())
                .findFirst().orElseThrow(() -> new AssertionError("no container port named " + port));
    }

    static String probePath(Map<String, Object> container, String probe) {
        assertNotNull(container.get(probe), probe + " is missing");
        return String.valueOf(map(map(container.get(probe)).get("httpGet")).get("path"));
    }

    static Map<String, Object> composeServices() {
        return map(map(yaml().load(read(COMPOSE))).get("services"));
    }

    static Map<String, Object> compose(String service) {
        return map(composeServices().get(service));
    }

    /** Compose services built from Herald's Dockerfile. */
    static List<String> heraldServices() {
        List<String> nodes = composeServices().entrySet().stream()
                .filter(e -> map(e.getValue()).get("build") instanceof Map<?, ?> build
                        && String.valueOf(build.get("dockerfile")).endsWith("payara-config/docker/Dockerfile"))
                .map(Map.Entry::getKey).toList();
        assertTrue(nodes.size() >= 2, "compose should run at least two Herald nodes: " + nodes);
        return nodes;
    }

    /** A service's environment, from either compose form (map, or list of NAME=value). */
    static Map<String, String> composeEnvironment(String service) {
        Object environment = compose(service).get("environment");
        Map<String, String> variables = new LinkedHashMap<>();
        if (environment instanceof Map<?, ?> entries) {
            entries.forEach((k, v) -> variables.put(String.valueOf(k), String.valueOf(v)));
        } else if (environment instanceof List<?> entries) {
            entries.forEach(e -> {
                String[] pair = String.valueOf(e).split("=", 2);
                variables.put(pair[0], pair.length > 1 ? pair[1] : "");
            });
        }
        return variables;
    }

    /** Environment variable names with that prefix set by each deployment file. */
    static Map<String, Set<String>> variablesBySource(String prefix) {
        Map<String, Set<String>> bySource = new LinkedHashMap<>();
        bySource.put("ConfigMap herald-config", keys(kubernetes("ConfigMap")));
        bySource.put("Secret herald-secrets", keys(secret()));
        Set<String> containerEnv = new TreeSet<>();
        if (container().get("env") != null) {
            list(container().get("env")).forEach(e -> containerEnv.add(String.valueOf(map(e).get("name"))));
        }
        bySource.put("Deployment env", containerEnv);
        composeServices().keySet().forEach(s -> bySource.put("compose service " + s, composeEnvironment(s).keySet()));
        bySource.put("Dockerfile ENV", dockerfileEnv().keySet());
        bySource.replaceAll((source, names) -> names.stream().filter(n -> n.startsWith(prefix))
                .collect(Collectors.toCollection(TreeSet::new)));
        return bySource;
    }

    /** Dockerfile instructions (continuations joined, comments dropped): the arguments of each one named. */
    static List<String> dockerfile(String instruction) {
        List<String> found = new ArrayList<>();
        StringBuilder logical = new StringBuilder();
        for (String line : read(DOCKERFILE).split("\\R")) {
            if (line.strip().startsWith("#")) {
                continue;
            }
            if (line.endsWith("\\")) {
                logical.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            logical.append(line);
            String[] parts = logical.toString().strip().split("\\s+", 2);
            if (parts[0].equalsIgnoreCase(instruction)) {
                found.add(parts.length > 1 ? parts[1].strip() : "");
            }
            logical.setLength(0);
        }
        return found;
    }

    static Map<String, String> dockerfileEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        Pattern assignment = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S+)");
        for (String line : dockerfile("ENV")) {
            Matcher m = assignment.matcher(line);
            while (m.find()) {
                env.put(m.group(1), m.group(2).replaceAll("^\"|\"$", ""));
            }
        }
        return env;
    }

    /** The (last) CMD, which must be in exec form: Payara Micro's arguments after the image's entrypoint. */
    static List<String> dockerfileCmd() {
        List<String> cmds = dockerfile("CMD");
        assertFalse(cmds.isEmpty(), "Dockerfile has no CMD");
        JsonArray array = Json.createReader(new StringReader(cmds.get(cmds.size() - 1))).readArray();
        return array.getValuesAs(JsonString.class).stream().map(JsonString::getString).toList();
    }

    static String argument(List<String> cmd, String option) {
        int at = cmd.indexOf(option);
        assertTrue(at >= 0 && at + 1 < cmd.size(), () -> "CMD has no " + option + ": " + cmd);
        return cmd.get(at + 1);
    }

    /** host -> port of every server in nginx.conf's upstream blocks. */
    static Map<String, Integer> nginxUpstreamServers() {
        String conf = read(NGINX).replaceAll("#[^\\n]*", "");
        Map<String, Integer> servers = new LinkedHashMap<>();
        Matcher upstream = Pattern.compile("upstream\\s+\\S+\\s*\\{([^}]*)}").matcher(conf);
        while (upstream.find()) {
            Matcher server = Pattern.compile("\\bserver\\s+([^\\s:;]+)(?::(\\d+))?").matcher(upstream.group(1));
            while (server.find()) {
                servers.put(server.group(1), server.group(2) == null ? 80 : Integer.parseInt(server.group(2)));
            }
        }
        return servers;
    }

    static JsonObject dashboard() {
        try (var reader = Json.createReader(new StringReader(read(DASHBOARD)))) {
            return reader.readObject();
        }
    }

    /** Panels with queries, including those inside collapsed rows (rows themselves have none). */
    static List<JsonObject> queryPanels(JsonArray panels) {
        List<JsonObject> found = new ArrayList<>();
        for (JsonValue value : panels) {
            JsonObject panel = value.asJsonObject();
            if (panel.containsKey("targets")) {
                found.add(panel);
            }
            if (panel.containsKey("panels")) {
                found.addAll(queryPanels(panel.getJsonArray("panels")));
            }
        }
        return found;
    }

    /** Every PromQL query in the dashboard: panel targets and template-variable queries. */
    static List<String> dashboardExpressions() {
        JsonObject dashboard = dashboard();
        List<String> exprs = new ArrayList<>();
        for (JsonObject panel : queryPanels(dashboard.getJsonArray("panels"))) {
            for (JsonValue target : panel.getJsonArray("targets")) {
                exprs.add(target.asJsonObject().getString("expr"));
            }
        }
        JsonObject templating = dashboard.getJsonObject("templating");
        if (templating != null) {
            for (JsonValue variable : templating.getJsonArray("list")) {
                JsonValue query = variable.asJsonObject().get("query");
                if (query instanceof JsonString text) {
                    exprs.add(text.getString());
                } else if (query instanceof JsonObject object && object.containsKey("query")) {
                    exprs.add(object.getString("query"));
                }
            }
        }
        assertFalse(exprs.isEmpty(), "dashboard has no queries");
        return exprs;
    }

    static List<String> alertExpressions() {
        List<String> exprs = new ArrayList<>();
        for (Object group : list(map(yaml().load(read(ALERTS))).get("groups"))) {
            for (Object rule : list(map(group).get("rules"))) {
                Map<String, Object> r = map(rule);
                assertNotNull(r.get("expr"), () -> "rule without expr: " + r);
                Map<String, Object> annotations = map(r.get("annotations"));
                assertTrue(annotations.containsKey("summary") && annotations.containsKey("description"),
                        () -> r.get("alert") + " needs summary and description annotations");
                exprs.add(String.valueOf(r.get("expr")));
            }
        }
        assertFalse(exprs.isEmpty(), "no alert rules");
        return exprs;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        assertTrue(value instanceof Map, () -> "expected a mapping, got " + value);
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value) {
        assertTrue(value instanceof List, () -> "expected a list, got " + value);
        return (List<Object>) value;
    }
}
