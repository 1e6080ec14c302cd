from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "advocacy"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Surveys and advocacy"

    def ready(self) -> None:
        # Imported here, not at the top: an AppConfig module loads before the app registry is ready.
        # Surveys and the reference program register their hooks, health sources and triggers below.

        # --- surveys (NPS / CSAT): health sources, the promoter expansion trigger ---------------------
        from advocacy import nps_sources

        nps_sources.register()
        # --- end surveys ---------------------------------------------------------------------------------
