from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """Pages that compose several apps (layer 6): the account 360 page, my tasks, the dashboard."""

    name = "workspace"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Workspace"
