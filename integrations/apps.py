from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from core.registries.events import record_with
        from integrations.recording import record_events

        record_with(record_events)
