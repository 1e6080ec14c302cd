from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "renewals"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Renewals and retention"
