package dev.herald.testing;

import java.util.Map;
import java.util.TreeMap;

/** Herald's series in a server's Prometheus text ({@code /metrics?scope=application}), for assertions. */
public final class HeraldMetrics {

    private HeraldMetrics() {
    }

    /**
     * Series name plus labels to value, for lines starting {@code herald_}: without the {@code mp_scope} label and in
     * one spelling (Open Liberty writes {@code name{}} and {@code {kind="user",}} where Payara writes {@code name}
     * and {@code {kind="user"}}).
     */
    public static Map<String, Double> parse(String prometheusText) {
        Map<String, Double> series = new TreeMap<>();
        for (String line : prometheusText.split("\n")) {
            if (line.startsWith("herald_")) {
                int space = line.lastIndexOf(' ');
                String name = line.substring(0, space).replace("mp_scope=\"application\",", "")
                        .replace(",mp_scope=\"application\"", "").replace("{mp_scope=\"application\"}", "")
                        .replace(",}", "}").replace("{}", "");
                series.put(name, Double.parseDouble(line.substring(space + 1)));
            }
        }
        return series;
    }
}
