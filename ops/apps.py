from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations at the top of the layers: demo seeding (seed_demo) and the bench dispatcher; they may
    import every app."""

    name = "ops"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Operations"
