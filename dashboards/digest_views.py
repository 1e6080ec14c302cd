"""The member's digest preference page (``/dashboards/digest/``): the daily email digest of their book, on or off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dashboards import digest_services
from tenancy.decorators import tenant_required


@login_required
@tenant_required
@require_http_methods(["GET", "POST"])
def digest_preferences(request):
    if request.method == "POST":
        enabled = request.POST.get("daily_digest") == "on"
        digest_services.digest_preference_set(user=request.user, daily_digest=enabled)
        messages.success(request, "You will get the daily digest of your book." if enabled
                         else "The daily digest is off: no more morning emails.")
        return redirect("dashboards:digest_preferences")
    return render(request, "dashboards/digest_preferences.html", {
        "daily_digest": digest_services.digest_preference_get(user=request.user),
        "hour": digest_services.local_hour(), "timezone": request.tenant.timezone,
    })
