from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenancy.decorators import tenant_required
from tenancy.middleware import SESSION_TENANT_KEY
from tenancy.selectors import user_memberships
from tenancy.services import membership_mark_used


@login_required
@require_POST
def switch_tenant(request):
    """Act in another of the user's tenants. A tenant the user is not a member of is a 404."""
    try:
        tenant_id = int(request.POST.get("tenant_id", ""))
    except ValueError as exc:
        raise Http404 from exc
    membership = user_memberships(user=request.user).filter(tenant_id=tenant_id).first()
    if membership is None:
        raise Http404
    membership_mark_used(membership=membership)
    request.session[SESSION_TENANT_KEY] = tenant_id
    return redirect("dashboard")


@login_required
@tenant_required
def settings_index(request):
    return render(request, "tenancy/settings_index.html")
