from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenancy import api_schema  # noqa: F401  (registers the OpenAPI auth extensions)
