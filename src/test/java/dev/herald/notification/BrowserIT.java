package dev.herald.notification;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.testing.HeraldNode;
import dev.herald.testing.Http;
import dev.herald.testing.Http.Reply;
import dev.herald.testing.RedisServer;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo page and {@code herald.js} in a real browser: Debian's headless chromium (through its own
 * chromedriver, so Selenium downloads nothing) against two Payara Micro nodes in development mode that share
 * one Redis. The page is served by node A and connects to it; the test publishes over REST through A, or
 * through B while A is down. Screenshots go to {@code target/browser/}.
 */
class BrowserIT {

    private static final Path SHOTS = Path.of("target", "browser");
    private static final Duration LIVE = Duration.ofSeconds(15);

    private static RedisServer redis;
    private static HeraldNode a;
    private static HeraldNode b;
    private static ChromeDriverService chromedriver;
    private static WebDriver browser;

    @BeforeAll
    static void start() throws IOException {
        redis = RedisServer.start();
        a = HeraldNode.createInDevelopmentMode("browser-A", redis.uri());
        b = HeraldNode.createInDevelopmentMode("browser-B", redis.uri());
        HeraldNode.startAll(a, b);
        Files.createDirectories(SHOTS);
        chromedriver = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(System.getenv().getOrDefault("CHROMEDRIVER", "/usr/bin/chromedriver")))
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions()
                .setBinary(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"))
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--disable-domain-reliability", "--no-first-run", "--no-pings", "--window-size=1280,900");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        logs.enable(LogType.PERFORMANCE, Level.ALL); // the DevTools network events: which WebSockets the page opened
        options.setCapability("goog:loggingPrefs", logs);
        browser = new ChromeDriver(chromedriver, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (chromedriver != null) {
            chromedriver.stop();
        }
        Stream.of(a, b).filter(node -> node != null).forEach(HeraldNode::close);
        if (redis != null) {
            redis.close();
        }
    }

    /** A scenario that stopped node A and then failed leaves it down: the next one gets it back. */
    @BeforeEach
    void nodesRunning() {
        HeraldNode.startAll(Stream.of(a, b).filter(node -> !node.isRunning()).toArray(HeraldNode[]::new));
        browser.manage().window().setSize(new Dimension(1280, 900));
    }

    /** Scripts that break under the page's Content-Security-Policy, or throw, show up in the console. */
    @AfterEach
    void noScriptErrors() {
        List<String> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .map(LogEntry::getMessage)
                .filter(message -> message.contains("Content Security Policy") || message.contains("Uncaught"))
                .toList();
        assertEquals(List.of(), errors, "errors in the browser console");
    }

    @Test
    void aNotificationPublishedOverRestAppearsOnThePageWithinTwoSeconds() {
        openPage("ann");
        long start = System.nanoTime();
        publish(a, "ann", "Server rebooted");
        awaitPage(Duration.ofSeconds(2), "the notification is on the page", () -> titles().equals(List.of("Server rebooted")));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.println("BrowserIT: published to shown in " + took.toMillis() + " ms");
        assertTrue(took.compareTo(Duration.ofSeconds(2)) < 0, "shown after " + took.toMillis() + " ms");
        publish(a, "ann", "Disk 91% full");
        awaitPage(Duration.ofSeconds(2), "the second notification is on top", () -> titles().size() == 2);
        screenshot("demo.png");
    }

    @Test
    void afterTheServerDropsTheSocketThePageCatchesUpByItselfInOrderAndOnce() {
        openPage("bob");
        publish(a, "bob", "n1");
        awaitPage(Duration.ofSeconds(5), "n1 is on the page", () -> titles().equals(List.of("n1")));

        a.terminate(); // SIGTERM: the node closes the page's sockets with 1001 and exits
        awaitPage(Duration.ofSeconds(15), "the page shows it lost the connection", () -> !"live".equals(status()));
        for (int n = 2; n <= 6; n++) {
            publish(b, "bob", "n" + n);
        }
        assertEquals(List.of("n1"), titles(), "nothing can arrive while the page's node is down");
        screenshot("demo-reconnecting.png");

        a.start(); // same port, a new development key: the page must fetch a fresh token by itself
        List<String> all = IntStream.rangeClosed(1, 6).mapToObj(n -> "n" + (7 - n)).toList();
        awaitPage(Duration.ofSeconds(45), "the page reconnected and caught up", () -> titles().equals(all));
        awaitPage(Duration.ofSeconds(5), "the page's one socket (user and broadcast streams) is live again", () -> "live".equals(status()));
        publish(a, "bob", "n7");
        awaitPage(Duration.ofSeconds(5), "n7 arrives live", () -> titles().size() == 7);
        assertEquals("n7", titles().get(0));
        List<String> ids = ids();
        assertEquals(ids.size(), new HashSet<>(ids).size(), "every id once: " + ids);
    }

    @Test
    void theUnreadBadgeCountsLiveNotificationsAndClearsWhenMarkedReadOrWhenTheListIsFocused() {
        openPage("carol");
        assertEquals(false, browser.findElement(By.id("unread")).isDisplayed(), "no badge before anything arrived");
        for (int n = 1; n <= 3; n++) {
            publish(a, "carol", "c" + n);
        }
        awaitPage(Duration.ofSeconds(5), "the badge says 3", () -> "3".equals(badge()));
        assertEquals(3, browser.findElements(By.cssSelector("#list li.unread")).size());

        browser.findElement(By.id("mark-read")).click();
        awaitPage(Duration.ofSeconds(2), "the badge is gone", () -> badge() == null);
        assertEquals(0, browser.findElements(By.cssSelector("#list li.unread")).size(), "no item left marked unread");

        publish(a, "carol", "c4");
        awaitPage(Duration.ofSeconds(5), "the badge counts again from 1", () -> "1".equals(badge()));
        browser.findElement(By.id("list")).click(); // reading the list focuses it
        awaitPage(Duration.ofSeconds(2), "the badge is gone again", () -> badge() == null);
    }

    @Test
    void openingAUserShowsTheirHistoryNewestFirstWithTheInboxsUnreadCount() {
        publish(a, "dora", "stored 1");
        publish(b, "dora", "stored 2");
        openPage("dora");
        awaitPage(Duration.ofSeconds(5), "the history is shown", () -> titles().equals(List.of("stored 2", "stored 1")));
        awaitPage(Duration.ofSeconds(5), "the badge is the server's count: nobody read them yet", () -> "2".equals(badge()));
        assertEquals(2, browser.findElements(By.cssSelector("#list li.unread")).size());
        publish(a, "dora", "live 3");
        awaitPage(Duration.ofSeconds(5), "live 3 follows the history", () -> titles().equals(List.of("live 3", "stored 2", "stored 1")));
        awaitPage(Duration.ofSeconds(5), "and counts", () -> "3".equals(badge()));
    }

    @Test
    void markingReadInOneTabChangesTheBadgeInEveryTabAndAReloadKeepsIt() {
        String first = browser.getWindowHandle();
        publish(a, "ivy", "i1");
        openPage("ivy");
        awaitPage(Duration.ofSeconds(5), "the first tab's badge says 1", () -> "1".equals(badge()));
        browser.switchTo().newWindow(WindowType.TAB);
        String second = browser.getWindowHandle();
        try {
            openPage("ivy");
            awaitPage(Duration.ofSeconds(5), "the second tab's badge says 1", () -> "1".equals(badge()));
            publish(b, "ivy", "i2");
            publish(a, "ivy", "i3");
            awaitPage(Duration.ofSeconds(5), "the second tab counts 3", () -> "3".equals(badge()));
            browser.switchTo().window(first);
            awaitPage(Duration.ofSeconds(5), "the first tab counts 3", () -> "3".equals(badge()));

            browser.navigate().refresh();
            awaitPage(LIVE, "the first tab is live again", () -> "live".equals(status()));
            awaitPage(Duration.ofSeconds(5), "a reload keeps the badge: the server's count", () -> "3".equals(badge()));
            assertEquals(List.of("i3", "i2", "i1"), titles());
            screenshot("demo-inbox.png");

            browser.findElement(By.id("mark-read")).click();
            awaitPage(Duration.ofSeconds(5), "the badge is gone in the tab that marked all read", () -> badge() == null);
            assertEquals(0, browser.findElements(By.cssSelector("#list li.unread")).size());
            browser.switchTo().window(second);
            awaitPage(Duration.ofSeconds(5), "and in the other tab", () -> badge() == null);
            assertEquals(0, browser.findElements(By.cssSelector("#list li.unread")).size(), "its items are read too");

            publish(a, "ivy", "i4");
            awaitPage(Duration.ofSeconds(5), "the second tab counts the new one", () -> "1".equals(badge()));
            browser.navigate().refresh();
            awaitPage(LIVE, "the second tab is live again", () -> "live".equals(status()));
            awaitPage(Duration.ofSeconds(5), "after a reload: 1, what the server holds unread", () -> "1".equals(badge()));
            assertEquals(List.of("i4"), script("return [...document.querySelectorAll('#list li.unread .title')].map(e => e.textContent)"));
        } finally {
            browser.switchTo().window(second).close();
            browser.switchTo().window(first);
        }
    }

    @Test
    void theFormPublishesToTheUserAndToEveryoneAndThePageFitsAPhone() {
        openPage("erin");
        browser.findElement(By.id("title")).clear();
        browser.findElement(By.id("title")).sendKeys("From the form");
        browser.findElement(By.cssSelector("#publish button[type=submit]")).click();
        awaitPage(Duration.ofSeconds(5), "the form's notification arrives", () -> titles().equals(List.of("From the form")));

        browser.findElement(By.cssSelector("input[name=audience][value=everyone]")).click();
        browser.findElement(By.id("title")).clear();
        browser.findElement(By.id("title")).sendKeys("To everyone");
        browser.findElement(By.cssSelector("#publish button[type=submit]")).click();
        awaitPage(Duration.ofSeconds(5), "the broadcast arrives, tagged", () -> browser.findElements(
                By.cssSelector("#list li[data-stream=broadcast] .tag")).size() == 1);
        assertEquals(List.of("To everyone", "From the form"), titles());
        assertTrue(browser.findElement(By.id("sent")).getText().contains("to everyone"), browser.findElement(By.id("sent")).getText());

        browser.manage().window().setSize(new Dimension(375, 812));
        awaitPage(Duration.ofSeconds(2), "the phone-sized window applies", () -> script("return window.innerWidth") instanceof Long w && w <= 400);
        Object overflow = script("return document.documentElement.scrollWidth - document.documentElement.clientWidth");
        assertEquals(0L, overflow, "px the page scrolls sideways on a 375 px screen");
        screenshot("demo-phone.png");
    }

    @Test
    void theDemoPageShowsAGroupNotificationOnTheSameSocketAsTheUsersNotifications() {
        openPage("gina", "team:payments");
        publish(a, "gina", "for gina");
        publishTo(a, "notify/group/team:payments", "for the payments team");
        awaitPage(Duration.ofSeconds(5), "both arrived", () -> titles().size() == 2);
        // ordered per stream only: which of the two streams comes first is not promised
        assertEquals(List.of("group:team:payments:for the payments team", "user:for gina"), streamsAndTitles().stream().sorted().toList());
        assertEquals("team:payments", browser.findElement(By.cssSelector("#list li[data-stream='group:team:payments'] .tag")).getText());

        WebSockets sockets = new WebSockets();
        awaitPage(Duration.ofSeconds(5), "both frames in the performance log",
                () -> sockets.read().received("for gina") && sockets.received("for the payments team"));
        assertEquals(1, sockets.urls.size(), "the page opened one WebSocket: " + sockets.urls);
        String socket = sockets.urls.keySet().iterator().next();
        assertTrue(!sockets.closed.contains(socket), "and it is still open");
        assertTrue(sockets.urls.get(socket).contains("/ws/notifications/gina?groups=team%3Apayments&broadcast=true"),
                sockets.urls.get(socket));
        List<JsonObject> received = sockets.frames.get(socket).stream()
                .map(frame -> Json.createReader(new StringReader(frame)).readObject()).toList();
        List<String> frames = received.stream().filter(frame -> !frame.containsKey("herald")) // herald.2: the inbox's control frames too
                .map(frame -> frame.getString("stream") + ":" + frame.getString("title")).sorted().toList();
        assertEquals(List.of("group:team:payments:for the payments team", "user:for gina"), frames,
                "the user's and the group's notification came on that one socket");
        assertTrue(received.stream().anyMatch(frame -> "counts".equals(frame.getString("herald", null))),
                "the page asked for the inbox (herald.2): its counts came on that socket too: " + received);
        screenshot("demo-groups.png");
    }

    @Test
    void joiningAGroupOnThePageKeepsTheListResumesWithTheCursorAndTheFormPublishesToTheGroup() {
        openPage("hank");
        publish(a, "hank", "before joining");
        awaitPage(Duration.ofSeconds(5), "the user's notification arrived", () -> titles().equals(List.of("before joining")));

        WebSockets sockets = WebSockets.fromNow();
        browser.findElement(By.id("groups")).sendKeys("region:us");
        browser.findElement(By.cssSelector("#who button[type=submit]")).click();
        // the click replaced the socket before it returned: "live" is the new one's
        awaitPage(LIVE, "the page is live in region:us", () -> "live".equals(status()));
        assertEquals("?user=hank&groups=region%3Aus", script("return window.location.search"));

        browser.findElement(By.cssSelector("input[name=audience][value=group]")).click();
        browser.findElement(By.id("title")).clear();
        browser.findElement(By.id("title")).sendKeys("To the region");
        browser.findElement(By.cssSelector("#publish button[type=submit]")).click();
        awaitPage(Duration.ofSeconds(5), "the group notification arrived and the list was kept",
                () -> streamsAndTitles().equals(List.of("group:region:us:To the region", "user:before joining")));
        assertTrue(browser.findElement(By.id("sent")).getText().contains("to group region:us"), browser.findElement(By.id("sent")).getText());
        sockets.read();
        List<String> opened = List.copyOf(sockets.urls.values());
        assertEquals(1, opened.size(), "one new socket: " + opened);
        assertTrue(opened.get(0).contains("groups=region%3Aus&broadcast=true&since="), "it resumed from the old socket's cursor: " + opened);
    }

    @Test
    void theFilesAreServedWithTheirTypesAPolicyAndRevalidation() {
        Reply page = get("", null);
        assertEquals(200, page.status());
        assertTrue(page.contentType().startsWith("text/html"), page.toString());
        String policy = page.header("Content-Security-Policy").orElse("");
        assertTrue(policy.contains("default-src 'self'") && !policy.contains("unsafe-inline"), policy);
        assertTrue(page.body().contains("<script type=\"module\" src=\"demo.js\">"), "the page loads its script as a file");

        Reply module = get("herald.js", null);
        assertEquals("text/javascript;charset=utf-8", module.contentType());
        String etag = module.header("ETag").orElseThrow(() -> new AssertionError("no ETag: " + module));
        assertEquals(304, get("herald.js", etag).status(), "an unchanged file is not sent again");
        for (String file : List.of("index.html", "herald-react.js", "demo.js", "demo.css", "favicon.svg")) {
            assertEquals(200, get(file, null).status(), file);
        }
        assertEquals(404, get("no-such-file.js", null).status(), "other paths still reach JAX-RS");
        assertEquals(405, get("notify", null).status(), "REST routes are untouched");
    }

    private static void openPage(String user) {
        openPage(user, null);
    }

    /** Opens the page for a user in these groups (comma-separated, or null for none). */
    private static void openPage(String user, String groups) {
        WebSockets.fromNow();
        browser.get(a.http("?user=" + user + (groups == null ? "" : "&groups=" + groups)).toString());
        awaitPage(LIVE, user + "'s page is live", () -> "live".equals(status()));
    }

    /**
     * The WebSockets the page opened, from Chrome's performance log (DevTools' Network events): each read()
     * adds what the log gained since it was last read, since reading empties it.
     */
    private static final class WebSockets {
        final Map<String, String> urls = new TreeMap<>(); // request id -> URL
        final Map<String, List<String>> frames = new TreeMap<>(); // request id -> payloads received
        final List<String> closed = new ArrayList<>(); // request ids, also of a page navigated away from

        /** Empties the log: the next read() sees only what happens from now on. */
        static WebSockets fromNow() {
            browser.manage().logs().get(LogType.PERFORMANCE);
            return new WebSockets();
        }

        WebSockets read() {
            for (LogEntry entry : browser.manage().logs().get(LogType.PERFORMANCE).getAll()) {
                JsonObject message = Json.createReader(new StringReader(entry.getMessage())).readObject().getJsonObject("message");
                JsonObject params = message.getJsonObject("params");
                switch (message.getString("method")) {
                    case "Network.webSocketCreated" -> urls.put(params.getString("requestId"), params.getString("url"));
                    case "Network.webSocketFrameReceived" -> frames.computeIfAbsent(params.getString("requestId"), id -> new ArrayList<>())
                            .add(params.getJsonObject("response").getString("payloadData"));
                    case "Network.webSocketClosed" -> closed.add(params.getString("requestId"));
                    default -> { }
                }
            }
            return this;
        }

        boolean received(String text) {
            return frames.values().stream().flatMap(List::stream).anyMatch(frame -> frame.contains(text));
        }
    }

    private static String status() {
        return browser.findElement(By.id("status")).getAttribute("data-status");
    }

    /** The badge's number, or null while it is hidden. */
    private static String badge() {
        var badge = browser.findElement(By.id("unread"));
        return badge.isDisplayed() ? badge.getText() : null;
    }

    /** The titles in the list, top (newest) first. */
    @SuppressWarnings("unchecked")
    private static List<String> titles() {
        return (List<String>) script("return [...document.querySelectorAll('#list li .title')].map(e => e.textContent)");
    }

    /** "<stream>:<title>" of each item, top first. */
    @SuppressWarnings("unchecked")
    private static List<String> streamsAndTitles() {
        return (List<String>) script("return [...document.querySelectorAll('#list li')]"
                + ".map(e => e.dataset.stream + ':' + e.querySelector('.title').textContent)");
    }

    @SuppressWarnings("unchecked")
    private static List<String> ids() {
        return (List<String>) script("return [...document.querySelectorAll('#list li')].map(e => e.dataset.stream + ':' + e.dataset.id)");
    }

    private static Object script(String javascript) {
        return ((JavascriptExecutor) browser).executeScript(javascript);
    }

    private static void awaitPage(Duration timeout, String what, java.util.function.BooleanSupplier condition) {
        Function<WebDriver, Boolean> check = driver -> condition.getAsBoolean();
        new WebDriverWait(browser, timeout, Duration.ofMillis(50))
                .withMessage(() -> what + "; the page shows " + titles() + ", status " + status())
                .until(check);
    }

    private static void screenshot(String name) {
        try {
            Files.copy(((ChromeDriver) browser).getScreenshotAs(OutputType.FILE).toPath(), SHOTS.resolve(name),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Publishes {@code {"title": …}} to the user through {@code node}, with that node's own development token. */
    private static String publish(HeraldNode node, String user, String title) {
        return publishTo(node, "notify/" + user, title);
    }

    /** Publishes {@code {"title": …}} to a route ({@code notify/<user>}, {@code notify/group/<group>}) of {@code node}. */
    private static String publishTo(HeraldNode node, String route, String title) {
        Reply token = Http.send(HttpRequest.newBuilder(node.http("dev/token?user=test-publisher&groups=publisher"))
                .timeout(Http.TIMEOUT).header("Accept", "text/plain").POST(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(200, token.status(), token::toString);
        Reply accepted = Http.post(node.http(route), token.body(), Json.createObjectBuilder().add("title", title)
                .add("message", "published by BrowserIT").build().toString());
        assertEquals(202, accepted.status(), accepted::toString);
        return accepted.json().getString("id");
    }

    /** GETs a file of node A, with {@code If-None-Match} unless {@code ifNoneMatch} is null. */
    private static Reply get(String path, String ifNoneMatch) {
        HttpRequest.Builder request = HttpRequest.newBuilder(a.http(path)).timeout(Http.TIMEOUT).GET();
        if (ifNoneMatch != null) {
            request.header("If-None-Match", ifNoneMatch);
        }
        return Http.send(request.build());
    }
}
