package dev.herald.notification.boundary;

import dev.herald.notification.entity.Payload;
import dev.herald.problem.entity.BadInputException;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.ClientErrorException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Set;

/** Reads a posted body with a size limit and as UTF-8, before anything parses it: a larger body is refused unread. */
final class RequestBodies {

    private static final Set<String> UTF_8 = Set.of("utf-8", "utf8");

    private RequestBodies() {
    }

    /** A notification's body: one JSON object of at most {@code limit} bytes ({@code herald.max-payload-bytes}). */
    static Payload payload(InputStream body, HttpHeaders headers, int limit) {
        return Payload.parse(read(body, headers, limit, "herald.max-payload-bytes"));
    }

    /** @param setting the setting that sets {@code limit}, named in the 413 */
    static byte[] read(InputStream body, HttpHeaders headers, int limit, String setting) {
        if (headers.getMediaType() == null) {
            // JAX-RS would match a request without Content-Type to any @Consumes: say what is expected instead.
            throw new NotSupportedException("send the body with Content-Type: application/json");
        }
        String charset = headers.getMediaType().getParameters().get("charset");
        if (charset != null && !UTF_8.contains(charset.replace("\"", "").strip().toLowerCase(Locale.ROOT))) {
            // JSON is UTF-8 (RFC 8259): a body declared otherwise is refused rather than decoded by a guess
            throw new NotSupportedException("the body must be UTF-8: send Content-Type: application/json without a charset "
                    + "or with charset=utf-8, not charset=" + (charset.length() > 40 ? charset.substring(0, 40) + "…" : charset));
        }
        if (declaredLength(headers) > limit) {
            throw tooLarge(limit, setting);
        }
        try {
            byte[] bytes = body.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw tooLarge(limit, setting);
            }
            return bytes;
        } catch (IOException e) {
            throw new BadRequestException("the body could not be read: " + e.getMessage());
        }
    }

    /** Content-Length as declared, or -1 without one; read here because HttpHeaders.getLength fails its own way per runtime. */
    private static long declaredLength(HttpHeaders headers) {
        String length = headers.getHeaderString(HttpHeaders.CONTENT_LENGTH);
        if (length == null || length.isBlank()) {
            return -1;
        }
        try {
            return Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            throw new BadInputException("the Content-Length header is not a number of bytes");
        }
    }

    private static ClientErrorException tooLarge(int limit, String setting) {
        return new ClientErrorException("the body is larger than " + limit + " bytes (" + setting + ")",
                Response.Status.REQUEST_ENTITY_TOO_LARGE);
    }
}
