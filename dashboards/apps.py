from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """Dashboards (composing layer, beside workspace): materialised daily aggregates refreshed by Celery,
    the support operations dashboard and the health score's validation against renewal outcomes."""

    name = "dashboards"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        from dashboards import digest_tasks, tasks  # noqa: F401 - registered with Celery by name
