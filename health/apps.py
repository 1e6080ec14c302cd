from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "health"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Health"

    def ready(self) -> None:
        # Imported here, not at the top: an AppConfig module loads before the app registry is ready.
        from core.registries.bands import register_band_provider
        from health import panels, signals, tasks  # noqa: F401 - tasks: registered with Celery by name
        from health.builtin_sources import register_builtin_sources
        from health.risks import register_builtin_rules
        from health.selectors import tenant_bands

        register_builtin_sources()
        register_builtin_rules()
        panels.register()
        register_band_provider(tenant_bands)
        signals.connect()
