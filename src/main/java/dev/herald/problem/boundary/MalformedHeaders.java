package dev.herald.problem.boundary;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * Refuses a request whose {@code Accept} or {@code Content-Type} does not parse, with a 400 problem that names the
 * header, before the JAX-RS runtime negotiates with it: each runtime fails its own way there (RESTEasy on WildFly
 * and Open Liberty throws a bare IllegalArgumentException for {@code q=x}, which would be a 500; Jersey on Payara
 * answers with the server's error page).
 */
@Provider
@PreMatching
public class MalformedHeaders implements ContainerRequestFilter {

    private static final System.Logger LOG = System.getLogger(MalformedHeaders.class.getName());
    private static final int SHOWN = 60;

    @Override
    public void filter(ContainerRequestContext request) {
        String detail = check(request.getHeaders().getOrDefault(HttpHeaders.ACCEPT, List.of()),
                request.getHeaderString(HttpHeaders.CONTENT_TYPE));
        if (detail != null) {
            String path = request.getUriInfo().getRequestUri().getRawPath();
            LOG.log(Level.DEBUG, "Refused {0} {1}: 400 {2}", request.getMethod(), path, detail);
            request.abortWith(Problem.of(400, detail, path).answer(Response.status(400)));
        }
    }

    /** Why the headers cannot be negotiated with, or null when they can. */
    static String check(List<String> accept, String contentType) {
        for (String value : accept) {
            for (String range : value.split(",")) {
                if (!range.isBlank() && !parses(range)) {
                    return "the Accept header is malformed at \"" + shown(range) + "\" (media ranges with an optional q from 0 to 1)";
                }
            }
        }
        if (contentType != null && !parses(contentType)) {
            return "the Content-Type header is malformed: \"" + shown(contentType) + "\"; send application/json";
        }
        return null;
    }

    private static boolean parses(String mediaType) {
        try {
            String q = MediaType.valueOf(mediaType.strip()).getParameters().get("q");
            double weight = q == null ? 1 : Double.parseDouble(q);
            return weight >= 0 && weight <= 1;
        } catch (IllegalArgumentException e) { // NumberFormatException included
            return false;
        }
    }

    private static String shown(String value) {
        String stripped = value.strip();
        return stripped.length() > SHOWN ? stripped.substring(0, SHOWN) + "…" : stripped;
    }
}
