package dev.herald.bench;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** A java.net.http client on HTTP/1.1 with its own two daemon threads, which {@link #close()} stops. */
record OwnHttpClient(HttpClient client, ExecutorService executor) implements AutoCloseable {

    OwnHttpClient(String threadName, Duration connectTimeout) {
        this(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        }), connectTimeout);
    }

    private OwnHttpClient(ExecutorService executor, Duration connectTimeout) {
        this(HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .executor(executor)
                .build(), executor);
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
