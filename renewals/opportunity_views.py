"""Expansion pages: the pipeline board by stage (amounts and weighted totals) and the account 360 page's
"Expansion" panel."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Account
from renewals import opportunity_selectors as selectors
from tenancy.decorators import tenant_required
from tenancy.selectors import tenant_members


def _quarter_start(today: date) -> date:
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


@login_required
@tenant_required
def pipeline(request):
    members = list(tenant_members().select_related("user"))
    owner_ids = {str(m.user_id) for m in members}
    owner = request.GET.get("owner", "")
    owner_id = int(owner) if owner in owner_ids else None
    summary = selectors.weighted_pipeline(owner_id=owner_id)
    board = selectors.pipeline_board(owner_id=owner_id)
    today = timezone.localdate()
    columns = [{"stage": s, "opportunities": board[s.stage]} for s in summary.stages]
    return render(request, "renewals/pipeline.html", {
        "summary": summary, "columns": columns, "members": members, "owner": owner_id,
        "one_time": selectors.one_time_bookings(start=_quarter_start(today), end=today),
    })


def account_panel_context(request, account: Account) -> dict:
    """The account page's expansion panel: its opportunities and weighted open pipeline (three queries)."""
    return {
        "opportunities": list(selectors.account_opportunities(account_id=account.pk)),
        "pipeline": selectors.weighted_pipeline(account_id=account.pk),
    }
