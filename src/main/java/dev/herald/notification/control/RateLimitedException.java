package dev.herald.notification.control;

import java.time.Duration;

/** The caller has published more than its rate limit allows: nothing was published; retry after {@link #retryAfter()}. */
public class RateLimitedException extends RuntimeException {

    private final Duration retryAfter;

    RateLimitedException(Broker.RateLimit limit, Duration retryAfter) {
        super("over the publish rate limit (herald.publish.rate-limit " + limit.perSecond() + "/s, burst " + limit.burst() + ")");
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
