from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "onboarding"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Onboarding"

    def ready(self) -> None:
        from accounts.panels import AccountPanel, register_account_panel
        from onboarding import health_sources
        from onboarding.views import account_panel_context

        register_account_panel(
            AccountPanel(
                key="onboarding", template="onboarding/_account_panel.html", context=account_panel_context,
                order=20, column="side",
            )
        )
        health_sources.register()

        from onboarding.services import template_create_default
        from tenancy.services import register_tenant_created

        register_tenant_created(template_create_default)
