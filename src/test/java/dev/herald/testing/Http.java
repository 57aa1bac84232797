package dev.herald.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

/**
 * The integration tests' HTTP: one shared HTTP/1.1 client (Herald's publishers keep HTTP/1.1 connections), requests
 * with an optional bearer token, answers as {@link Reply} with the whole body for failure messages, and the
 * assertions every suite makes on them. An I/O failure is thrown as {@link UncheckedIOException}: a test that cannot
 * reach the server errors, it never passes.
 */
public final class Http {

    /** Every request's deadline: a server that stops answering fails the test instead of hanging it. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    /** A Java stack frame ({@code at dev.herald.X.y(X.java:12)}) or a qualified exception class name. */
    private static final Pattern STACK_TRACE = Pattern.compile(
            "\\bat [\\w$.]+\\([\\w$]+\\.java:\\d+\\)|\\b(?:[a-z_]\\w*\\.)+[A-Z]\\w*(?:Exception|Error)\\b");

    private Http() {
    }

    /** An HTTP answer with its body as text; {@link #toString()} shows all a failure message needs. */
    public record Reply(URI uri, int status, HttpHeaders headers, String body) {

        public String contentType() {
            return header("Content-Type").orElse("");
        }

        public Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        /** The body as a JSON object; fails (showing the body) when it is not one. */
        public JsonObject json() {
            return JsonText.object(body);
        }

        public JsonArray jsonArray() {
            return JsonText.array(body);
        }

        @Override
        public String toString() {
            return status + " " + contentType() + " " + (body.length() > 500 ? body.substring(0, 500) + "…" : body)
                    + " (from " + uri + ")";
        }
    }

    /** The client itself, for callers that classify transport failures or open WebSockets on it (the chaos suite). */
    public static HttpClient client() {
        return CLIENT;
    }

    /** {@code GET}, with {@code Authorization: Bearer token} unless {@code token} is null. */
    public static Reply get(URI uri, String token) {
        return send("GET", uri, token, null, null);
    }

    /** {@code POST} of a JSON body ({@code application/json}), with a bearer token unless it is null. */
    public static Reply post(URI uri, String token, String json) {
        return send("POST", uri, token, "application/json", json);
    }

    /** {@code POST} of a JSON body with more headers, given as name, value, name, value…; a name may repeat. */
    public static Reply post(URI uri, String token, String json, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token);
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return send(request.build());
    }

    public static Reply delete(URI uri, String token) {
        return send("DELETE", uri, token, null, null);
    }

    /**
     * Any method; {@code contentType} and {@code token} are left out when null, {@code body} null sends none.
     */
    public static Reply send(String method, URI uri, String token, String contentType, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).method(method, body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(request.build());
    }

    /** A request built by the caller (other headers); it should carry a timeout. */
    public static Reply send(HttpRequest request) {
        try {
            HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Reply(request.uri(), response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during " + request.method() + " " + request.uri(), e);
        }
    }

    /** GETs {@code uri} (no token) until it answers {@code status}; fails with the last answer after {@code within}. */
    public static Reply awaitStatus(URI uri, int status, Duration within) {
        Instant deadline = Instant.now().plus(within);
        Reply last = get(uri, null);
        while (last.status() != status) {
            if (Instant.now().isAfter(deadline)) {
                fail(uri + " did not answer " + status + " within " + within + "; last answer: " + last);
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            last = get(uri, null);
        }
        return last;
    }

    /**
     * Herald's refusal: exactly {@code status} (never a 500), {@code application/problem+json} whose {@code status}
     * member says the same, a non-blank {@code detail}, and no stack trace or exception class anywhere in the body.
     * Returns the reply for further checks.
     */
    public static Reply assertProblem(int status, Reply reply, String what) {
        assertEquals(status, reply.status(), () -> what + ": " + reply);
        assertTrue(reply.status() != 500, () -> what + ": " + reply);
        assertTrue(reply.contentType().startsWith("application/problem+json"), () -> what + ": " + reply);
        JsonObject problem = reply.json();
        assertEquals(status, problem.getInt("status", -1), () -> what + ": " + reply);
        assertFalse(problem.getString("detail", "").isBlank(), () -> what + ": no detail in " + reply);
        assertFalse(STACK_TRACE.matcher(reply.body()).find(), () -> what + ": a stack trace or exception in " + reply);
        return reply;
    }

    /** A 401 that tells the client to come back with a bearer token. */
    public static void assertBearerChallenge(Reply reply) {
        assertTrue(reply.header("WWW-Authenticate").orElse("").startsWith("Bearer"), reply::toString);
    }

    /** One named check ({@code broker}, …) of a MicroProfile Health answer; servers may add checks of their own. */
    public static JsonObject healthCheck(Reply health, String name) {
        return health.json().getJsonArray("checks").getValuesAs(JsonObject.class).stream()
                .filter(check -> name.equals(check.getString("name", null)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no check named " + name + " in " + health));
    }
}
