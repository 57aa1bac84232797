package dev.herald.notification.boundary;

import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
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

    public String toJson() {
        JsonObjectBuilder json = Json.createObjectBuilder()
                .add("type", type).add("title", title).add("status", status).add("detail", detail);
        if (instance != null) {
            json.add("instance", instance);
        }
        return json.build().toString();
    }
}
