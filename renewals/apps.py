from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "renewals"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Renewals and retention"

    def ready(self) -> None:
        from accounts.panels import AccountPanel, register_account_panel
        from renewals.cadence_views import account_panel_context

        register_account_panel(
            AccountPanel(
                key="touchpoints", template="renewals/_touchpoints_panel.html", context=account_panel_context,
                order=25, column="side",
            )
        )
