"""The scorecard dry run page (thin): the scorecard settings form posts here with its "Dry run" button.
Nothing is saved; a proposed card that does not validate is shown on the settings form, as saving shows it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_POST

from dashboards.dry_run_selectors import HISTORY_DAYS, MOVES_SHOWN, scorecard_dry_run
from dashboards.validation_selectors import LEAD_DAYS
from health.forms import ScorecardDraft
from health.views import render_scorecard_settings
from tenancy.decorators import capability_required, tenant_required
from tenancy.permissions import HEALTH_CONFIGURE

NOT_REPOSTED = {"csrfmiddlewaretoken"}


@login_required
@tenant_required
@capability_required(HEALTH_CONFIGURE)
@require_POST
def scorecard_dry_run_page(request):
    editor = ScorecardDraft.from_post(request.POST)
    proposed = editor.validated()
    if proposed is None:
        return render_scorecard_settings(request, editor=editor.with_blank_rows(), status=400,
                                         refused="Not run (nothing was saved).")
    page = scorecard_dry_run(proposed=proposed)
    # The same fields again, so "Save these settings" posts exactly what was replayed to the settings page.
    posted = [(name, value) for name, values in request.POST.lists() if name not in NOT_REPOSTED for value in values]
    return render(request, "dashboards/scorecard_dry_run.html", {
        "page": page, "r": page.result, "bands": page.result.band_keys(), "posted": posted,
        "history_days": HISTORY_DAYS, "lead_days": LEAD_DAYS, "moves_shown": MOVES_SHOWN,
    })
