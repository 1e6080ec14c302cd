from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import importlib

        from tickets import health_sources

        health_sources.register()
        # Account 360 panel and other page hooks live with the pages (tickets/panels.py), when present.
        try:
            importlib.import_module("tickets.panels")
        except ModuleNotFoundError as exc:
            if exc.name != "tickets.panels":
                raise
