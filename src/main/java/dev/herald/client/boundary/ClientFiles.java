package dev.herald.client.boundary;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves the browser client ({@code /herald.js}, {@code /herald-react.js}) and the demo page at {@code /}.
 * JAX-RS owns {@code /*} (its application path is the root), so each file is mapped by an exact pattern,
 * which wins over a path prefix on every servlet container; no server-specific setting is needed.
 * <p>
 * Every answer carries a Content-Security-Policy that allows only this origin's files and sockets: the pages
 * have no inline script or style. Files are revalidated by ETag on each load, so a new WAR shows at once.
 */
@WebServlet(urlPatterns = {"", "/index.html", "/herald.js", "/herald-react.js", "/demo.js", "/demo.css", "/favicon.svg"})
public class ClientFiles extends HttpServlet {

    static final String POLICY = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self'; "
            + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html;charset=utf-8",
            "js", "text/javascript;charset=utf-8",
            "css", "text/css;charset=utf-8",
            "svg", "image/svg+xml");

    private record File(byte[] content, String type, String etag) {
    }

    private final Map<String, File> files = new ConcurrentHashMap<>();

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getServletPath();
        File file = files.computeIfAbsent(path.isEmpty() || path.equals("/") ? "/index.html" : path, this::load);
        response.setHeader("Content-Security-Policy", POLICY);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("ETag", file.etag());
        // the client module may be imported by pages on other origins; it holds nothing secret
        response.setHeader("Access-Control-Allow-Origin", "*");
        if (file.etag().equals(request.getHeader("If-None-Match"))) {
            response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
            return;
        }
        response.setContentType(file.type());
        response.setContentLength(file.content().length);
        response.getOutputStream().write(file.content());
    }

    private File load(String path) {
        try (InputStream in = getServletContext().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is mapped but missing from the WAR");
            }
            byte[] content = in.readAllBytes();
            String type = TYPES.get(path.substring(path.lastIndexOf('.') + 1));
            String etag = '"' + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content), 0, 8) + '"';
            return new File(content, type, etag);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
