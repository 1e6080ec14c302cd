from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "advocacy"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Surveys and advocacy"

    def ready(self) -> None:
        # Imported here, not at the top: an AppConfig module loads before the app registry is ready.
        # Surveys and the reference program register their hooks, health sources and triggers below.

        # --- surveys (NPS / CSAT): health sources, the promoter expansion trigger, event subscribers ----
        from advocacy import nps_sources, survey_tasks  # noqa: F401 - survey_tasks registers with Celery by name
        from core.registries.events import subscribe

        nps_sources.register()
        # CSAT when a ticket is resolved, post-implementation after go-live (tickets/onboarding publish).
        subscribe("ticket.resolved", "advocacy.on_ticket_resolved")
        subscribe("onboarding.went_live", "advocacy.on_went_live")
        # The account 360 page's survey history (one query).
        from accounts.panels import AccountPanel, register_account_panel
        from advocacy.survey_views import account_panel_context as survey_panel_context

        register_account_panel(AccountPanel(
            key="surveys", template="advocacy/_account_panel.html", context=survey_panel_context, order=35, column="side",
        ))
        # --- end surveys ---------------------------------------------------------------------------------
        # --- the reference program (advocacy/reference_*) ------------------------------------------------
        from accounts.panels import AccountPanel, register_account_panel
        from advocacy import reference_health
        from advocacy.reference_views import account_panel_context as references_panel_context

        # Health: the "reference_activity" source (relationship).
        reference_health.register()
        # The account 360 page's "References" panel.
        register_account_panel(
            AccountPanel(
                key="references", template="advocacy/_references_panel.html", context=references_panel_context,
                order=35, column="side",
            )
        )
        # --- end of the reference program -----------------------------------------------------------------
