"""Where a member lands after signing in (and on "/", the brand link): the dashboard of their role in the
current tenant. Pure: role -> URL name (the dashboards' pages are named, not imported: ``workspace`` and
``dashboards`` are independent).

* VP: the portfolio; CSM: their book; support manager and support engineer: support operations.
* Admin, onboarding specialist and viewer (no dashboard of their own): the workspace overview ("/").

An explicit ``?next=`` after sign-in still wins (Django's LoginView honours it before the default redirect).
"""

from __future__ import annotations

from tenancy.models import Role

ROLE_LANDING: dict[str, str] = {
    Role.VP: "dashboards:portfolio",
    Role.CSM: "dashboards:my_book",
    Role.SUPPORT_MANAGER: "dashboards:support",
    Role.SUPPORT_ENGINEER: "dashboards:support",
}


def landing_url_name(role: str | None) -> str | None:
    """The URL name of the role's landing dashboard; None: the workspace overview."""
    return ROLE_LANDING.get(role or "")
