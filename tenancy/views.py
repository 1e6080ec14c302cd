from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from base.errors import DomainError
from tenancy import services
from tenancy.decorators import tenant_required
from tenancy.forms import AcceptInvitationForm
from tenancy.middleware import SESSION_TENANT_KEY
from tenancy.models import User
from tenancy.selectors import user_by_email, user_memberships


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
    services.membership_mark_used(membership=membership)
    request.session[SESSION_TENANT_KEY] = tenant_id
    return redirect("dashboard")


@login_required
@tenant_required
def settings_index(request):
    return render(request, "tenancy/settings_index.html")


@never_cache
def invitation_accept(request, token: str):
    """The emailed link. The invited email, signed in, accepts with one button; someone with no account (or
    no password yet) chooses a password; anyone else is told whom it is for. Nothing joins before a POST."""
    invitation = services.invitation_from_link(token)
    if invitation is None:
        return render(request, "tenancy/invitation_invalid.html", status=404)
    existing = user_by_email(email=invitation.email)
    needs_password = existing is None or not existing.has_usable_password()
    signed_in_as_invitee = request.user.is_authenticated and request.user.email.lower() == invitation.email
    context = {"invitation": invitation, "needs_password": needs_password, "signed_in_as_invitee": signed_in_as_invitee}
    if signed_in_as_invitee:
        if request.method == "POST":
            return _accept(request, invitation, lambda: services.invitation_accept(invitation=invitation, user=request.user))
        return render(request, "tenancy/invitation_accept.html", context)
    if request.user.is_authenticated:  # someone else: never accepted on their behalf
        return render(request, "tenancy/invitation_accept.html", context, status=403 if request.method == "POST" else 200)
    if not needs_password:  # an existing account: sign in as it first
        return render(request, "tenancy/invitation_accept.html", context, status=403 if request.method == "POST" else 200)
    form = AcceptInvitationForm(User(email=invitation.email, full_name=invitation.full_name),
                                request.POST if request.method == "POST" else None,
                                initial={"full_name": invitation.full_name})
    if request.method == "POST":
        if form.is_valid():
            return _accept(request, invitation, lambda: services.invitation_accept_as_new_user(
                invitation=invitation, password=form.cleaned_data["new_password1"],
                full_name=form.cleaned_data["full_name"],
            ), sign_in=True)
        return render(request, "tenancy/invitation_accept.html", {**context, "form": form}, status=400)
    return render(request, "tenancy/invitation_accept.html", {**context, "form": form})


def _accept(request, invitation, accept, sign_in: bool = False):
    try:
        membership = accept()
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("invitation_accept", token=request.resolver_match.kwargs["token"])
    if sign_in:
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_TENANT_KEY] = membership.tenant_id
    messages.success(request, f"Welcome to {invitation.tenant.name}: you are {membership.get_role_display()}.")
    return redirect("dashboard")
