package dev.herald.problem.boundary;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Errors the server answers itself, outside JAX-RS (e.g. a path the servlet container refuses, or the JAX-RS
 * runtime refusing a malformed Content-Type with 400 before any resource or mapper runs), leave as problem+json
 * too instead of the server's HTML page (web.xml maps the error pages here).
 */
@WebServlet("/errors/problem")
public class ErrorPageServlet extends HttpServlet {

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // A method the server implements for no route (e.g. PATCH on a static file: 501 from its default servlet) is
        // the client's mistake, not the server's: 405, like any other method a route does not take. Asked for
        // directly, this servlet is no route at all.
        int status = switch (response.getStatus()) {
            case 501 -> 405;
            case 200 -> 404;
            default -> response.getStatus();
        };
        String uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String failed ? failed : request.getRequestURI();
        String detail = switch (status) {
            case 400 -> "the request is malformed (its URL, or a header such as Content-Type)";
            case 401 -> "the bearer token is missing, expired, not yet valid, or not signed by a trusted key";
            case 403 -> "not allowed";
            case 404 -> "no such route";
            case 405 -> "this route does not take " + request.getMethod() + (response.containsHeader("Allow") ? "; see Allow" : "");
            case 413 -> "the request is too large";
            case 415 -> "send the body with Content-Type: application/json";
            default -> "the server could not handle this request";
        };
        Problem.of(status, detail, uri).writeTo(response);
    }
}
