"""Page hooks of the tickets app, imported by TicketsConfig.ready(): the account 360 "Support tickets" panel."""

from accounts.panels import AccountPanel, register_account_panel
from tickets.views.panel import account_panel_context

register_account_panel(
    AccountPanel(
        key="tickets", template="tickets/_account_panel.html", context=account_panel_context, order=30, column="side"
    )
)
