from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: an AppConfig module loads before the app registry is ready.
        from tickets import health_sources, panels  # noqa: F401 - panels registers the account 360 panel

        health_sources.register()
