package dev.herald.notification.boundary;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** REST routes live at the application's root: {@code /notify}, {@code /history}. */
@ApplicationPath("/")
public class HeraldApplication extends Application {
}
