from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "renewals"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Renewals and retention"

    def ready(self) -> None:
        # Imported here, not at the top: an AppConfig module loads before the app registry is ready.
        from accounts.hooks import register_account_changed_hook, register_arr_changed_hook
        from renewals import ledger_tasks, opportunity_tasks, renewal_tasks  # noqa: F401 - registered with Celery by name
        from renewals.expansion_triggers import register_builtin_triggers
        from renewals.ledger_services import ledger_on_arr_changed
        from renewals.renewal_services import renewal_on_account_changed

        # Every change of an account's ARR made by accounts (create, edit, CSV import) writes its movement.
        register_arr_changed_hook(ledger_on_arr_changed)
        # An open renewal's contract end and motions follow the account's renewal date.
        register_account_changed_hook(renewal_on_account_changed)
        # Expansion triggers: the built-ins (other apps add theirs with register_expansion_trigger).
        register_builtin_triggers()
        # Scorecard sources for the handbooks' "growth" component (renewal outlook, open expansion).
        from renewals.health_sources import register_renewal_sources

        register_renewal_sources()

        from accounts.panels import AccountPanel, register_account_panel
        from renewals.cadence_views import account_panel_context
        from renewals.opportunity_views import account_panel_context as expansion_panel_context

        register_account_panel(
            AccountPanel(
                key="touchpoints", template="renewals/_touchpoints_panel.html", context=account_panel_context,
                order=25, column="side",
            )
        )
        from renewals.renewal_views import account_panel_context as renewal_panel_context

        register_account_panel(
            AccountPanel(
                key="renewal", template="renewals/_renewal_panel.html", context=renewal_panel_context,
                order=20, column="side",
            )
        )
        register_account_panel(
            AccountPanel(
                key="expansion", template="renewals/_expansion_panel.html", context=expansion_panel_context,
                order=30, column="side",
            )
        )
