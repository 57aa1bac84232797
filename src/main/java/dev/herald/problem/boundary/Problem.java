package dev.herald.problem.boundary;

import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An RFC 9457 problem: every error Herald answers, as {@code application/problem+json}. */
@Schema(name = "Problem", description = "RFC 9457 problem details")
public record Problem(
        @Schema(example = "about:blank") String type,
        @Schema(example = "Bad Request") String title,
        @Schema(example = "400") int status,
        @Schema(example = "the body must be a JSON object, not an array or a single value") String detail,
        @Schema(example = "/notify/42") String instance) {

    public static final String MEDIA_TYPE = "application/problem+json";
    /** The {@code WWW-Authenticate} value of every 401 Herald answers (RFC 6750). */
    public static final String BEARER_CHALLENGE = "Bearer realm=\"herald\"";

    /** A problem titled with the status' standard reason phrase. */
    public static Problem of(int status, String detail, String instance) {
        Response.StatusType type = Response.Status.fromStatusCode(status);
        String title = type != null ? type.getReasonPhrase() : switch (status) {
            case 422 -> "Unprocessable Content"; // RFC 9110's name; not in Jakarta REST 3.1's Status
            case 429 -> "Too Many Requests";
            default -> "Error";
        };
        return new Problem("about:blank", title, status, detail == null ? title : detail, instance);
    }

    /** Answers a servlet request with this problem (outside JAX-RS: filters, error pages). */
    public void writeTo(HttpServletResponse response) throws IOException {
        response.setStatus(status);
        if (status == 401) {
            response.setHeader("WWW-Authenticate", BEARER_CHALLENGE);
        }
        response.setContentType(MEDIA_TYPE);
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(toJson());
    }

    /** This problem as a JAX-RS answer, with whatever headers {@code response} already has. */
    public Response answer(Response.ResponseBuilder response) {
        return response.status(status).entity(toJson()).type(MEDIA_TYPE).build();
    }

    public String toJson() {
        JsonObjectBuilder json = Json.createObjectBuilder()
                .add("type", type).add("title", title).add("status", status).add("detail", detail);
        if (instance != null) {
            json.add("instance", instance);
        }
        return json.build().toString();
    }
}
