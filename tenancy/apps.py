from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenancy import api_schema, signals  # noqa: F401  (OpenAPI auth extensions; sign-in lands in the last tenant)
