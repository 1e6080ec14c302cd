"""The score validation page (thin): is the health score a churn predictor?"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboards.charts import bar_rows
from dashboards.models import RefreshKind
from dashboards.support_selectors import freshness
from dashboards.validation_selectors import LEAD_DAYS, STALE_DAYS, score_validation
from tenancy.decorators import tenant_required

CHURNED_SHOWN = 50  # the most recent "churned while green" accounts listed (the count says how many in all)


@login_required
@tenant_required
@require_GET
def score_validation_page(request):
    refreshed = freshness(RefreshKind.VALIDATION)  # when the observations were written (else: computed now)
    validation = score_validation(materialised=refreshed is not None, churned_limit=CHURNED_SHOWN)
    chart = bar_rows([{"label": row.label, "value": row.rate, "css": f"band-{row.key}",
                       "text": "—" if row.rate is None else f"{row.rate:.1f}% of {row.accounts}"}
                      for row in validation.bands], x_max=100)
    return render(request, "dashboards/score_validation.html", {
        "v": validation, "chart": chart, "lead_days": LEAD_DAYS, "stale_days": STALE_DAYS, "refreshed": refreshed,
        "churned_shown": validation.churned_while_top,
    })
