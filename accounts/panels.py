"""Other apps add panels to the account 360 page without accounts importing them.

An app registers in its ``AppConfig.ready()``::

    register_account_panel(AccountPanel(key="health", template="health/_account_panel.html",
                                        context=lambda request, account: {...}, order=10, column="main"))

Each panel's ``context`` runs a constant number of queries for one account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from accounts.models import Account


@dataclass(frozen=True)
class AccountPanel:
    key: str
    template: str
    context: Callable[[object, Account], dict] = field(default=lambda request, account: {})
    order: int = 50
    column: str = "side"  # "main" (above the tabs) or "side" (right column)


_PANELS: dict[str, AccountPanel] = {}


def register_account_panel(panel: AccountPanel) -> None:
    _PANELS[panel.key] = panel


def panels_for(request, account: Account) -> dict[str, list[dict]]:
    columns: dict[str, list[dict]] = {"main": [], "side": []}
    for panel in sorted(_PANELS.values(), key=lambda p: p.order):
        columns.setdefault(panel.column, []).append(
            {"key": panel.key, "template": panel.template, "context": panel.context(request, account)}
        )
    return columns
