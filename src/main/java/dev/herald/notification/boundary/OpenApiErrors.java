package dev.herald.notification.boundary;

import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;

/**
 * Adds the error answers every route shares to its operations in the OpenAPI document (the answers themselves are
 * in {@code META-INF/openapi.yaml}), once here instead of eight annotations on each method. Configured as
 * {@code mp.openapi.filter}.
 */
public class OpenApiErrors implements OASFilter {

    private static final List<String> READ = List.of("400 BadRequest", "401 Unauthorized", "403 Forbidden", "503 BrokerUnavailable");
    private static final List<String> MARK = List.of("400 BadRequest", "401 Unauthorized", "403 Forbidden", "413 PayloadTooLarge",
            "415 UnsupportedMediaType", "503 BrokerUnavailable");
    private static final List<String> PUBLISH = List.of("400 BadRequest", "401 Unauthorized", "403 Forbidden", "413 PayloadTooLarge",
            "415 UnsupportedMediaType", "422 IdempotencyConflict", "429 TooManyRequests", "503 BrokerUnavailable", "504 PublishUnconfirmed");

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getPaths() == null) {
            return;
        }
        for (Map.Entry<String, PathItem> path : openAPI.getPaths().getPathItems().entrySet()) {
            PathItem item = path.getValue();
            if (path.getKey().startsWith("/notify")) {
                add(item.getPOST(), PUBLISH);
                add(item.getDELETE(), READ); // a retraction
            } else if (path.getKey().startsWith("/history/")) {
                add(item.getGET(), READ);
            } else if (path.getKey().startsWith("/inbox/")) {
                add(item.getGET(), READ);
                add(item.getPOST(), MARK);
                add(item.getDELETE(), READ);
            }
        }
    }

    private static void add(Operation operation, List<String> answers) {
        if (operation == null || operation.getResponses() == null) {
            return;
        }
        for (String answer : answers) {
            String[] codeAndName = answer.split(" ");
            operation.getResponses().addAPIResponse(codeAndName[0], OASFactory.createAPIResponse().ref(codeAndName[1]));
        }
    }
}
