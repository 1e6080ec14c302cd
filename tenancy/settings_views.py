"""Settings pages for admins (TENANT_MANAGE): people and roles, API keys.

A member without the capability gets 403 (it is their own tenant); a membership or key of
another tenant is 404. Every write goes through tenancy.services; POSTs redirect (PRG).
"""

from __future__ import annotations

import logging
import smtplib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from tenancy import selectors, services
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.forms import ApiKeyForm, InvitationEmailForm, InviteForm, RoleForm
from tenancy.models import ApiKey, Membership, Role
from tenancy.permissions import TENANT_MANAGE

logger = logging.getLogger(__name__)


def _admin_page(view):
    """Signed in, a member, and allowed to manage the tenant (403 otherwise)."""
    return login_required(tenant_required(capability_required(TENANT_MANAGE)(view)))


def _membership(pk: int) -> Membership:
    membership = Membership.objects.select_related("user").filter(pk=pk).first()
    if membership is None:
        raise Http404("No such member")
    return membership


def _after_change(request, fallback: str):
    """Back to the page, unless the admin just took their own access away."""
    return redirect(fallback if member_can(request, TENANT_MANAGE) else "dashboard")


# --- people and roles ----------------------------------------------------------------------------


@_admin_page
@require_GET
def settings_members(request):
    return _members_page(request, InviteForm())


def _members_page(request, invite_form: InviteForm, status: int = 200):
    members = list(selectors.tenant_members())
    context = {
        "members": members,
        "admin_count": sum(1 for m in members if m.role == Role.ADMIN),
        "invite_form": invite_form,
        "roles": Role.choices,
    }
    return render(request, "tenancy/settings_members.html", context, status=status)


@_admin_page
@require_POST
def settings_member_invite(request):
    """Add a member by email. A new person gets an account without a password and an email to choose one."""
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _members_page(request, form, status=400)
    email = form.cleaned_data["email"]
    try:
        membership = services.member_add(
            tenant=request.tenant, email=email, role=form.cleaned_data["role"], full_name=form.cleaned_data["full_name"],
        )
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return _members_page(request, form, status=400)
    try:
        _send_invitation(request, membership)
    except (smtplib.SMTPException, OSError):
        logger.exception("invitation email to %s failed", email)
        messages.warning(
            request, f"{email} was added as {membership.get_role_display()}, but the email could not be sent; "
            "they can use “Forgot your password?” on the sign-in page.",
        )
    else:
        messages.success(request, f"Invited {email} as {membership.get_role_display()}; they have been emailed.")
    return redirect("settings_members")


def _send_invitation(request, membership: Membership) -> None:
    email_form = InvitationEmailForm(membership.user)
    email_form.is_valid()
    email_form.save(
        request=request,
        use_https=request.is_secure(),
        subject_template_name="tenancy/settings_invite_subject.txt",
        email_template_name="tenancy/settings_invite_email.txt",
        extra_email_context={
            "tenant": request.tenant,
            "inviter": request.user,
            "role": membership.get_role_display(),
            "login_path": reverse("login"),
        },
    )


@_admin_page
@require_POST
def settings_member_role(request, pk: int):
    membership = _membership(pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("settings_members")
    try:
        services.member_set_role(membership=membership, role=form.cleaned_data["role"])
    except DomainError as exc:
        messages.error(request, f"{membership.user.email}: {exc}")
        return redirect("settings_members")
    if membership.pk == request.membership.pk:
        request.membership.role = membership.role
    messages.success(request, f"{membership.user.email} is now {membership.get_role_display()}.")
    return _after_change(request, "settings_members")


@_admin_page
@require_POST
def settings_member_remove(request, pk: int):
    membership = _membership(pk)
    try:
        services.member_remove(membership=membership)
    except DomainError as exc:
        messages.error(request, f"{membership.user.email}: {exc}")
        return redirect("settings_members")
    messages.success(request, f"{membership.user.email} no longer has access to {request.tenant.name}.")
    if membership.pk == request.membership.pk:
        return redirect("dashboard")
    return redirect("settings_members")


# --- API keys ------------------------------------------------------------------------------------


@_admin_page
@require_GET
def settings_api_keys(request):
    return _keys_page(request, ApiKeyForm())


def _keys_page(request, form: ApiKeyForm, status: int = 200):
    context = {"keys": list(selectors.api_keys()), "form": form}
    return render(request, "tenancy/settings_api_keys.html", context, status=status)


@_admin_page
@require_POST
def settings_api_key_create(request):
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _keys_page(request, form, status=400)
    try:
        key, raw = services.api_key_create(
            tenant=request.tenant, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
            created_by=request.user,
        )
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return _keys_page(request, form, status=400)
    # Shown once, on the next page: a one-time server-side reveal that only this URL's token unseals.
    token = services.api_key_reveal_create(key=key, raw=raw, user=request.user)
    return redirect("settings_api_key_created", token=token)


@_admin_page
@require_GET
@never_cache
def settings_api_key_created(request, token: str):
    shown = services.api_key_reveal_take(token=token, user=request.user)
    if shown is None:
        messages.info(request, "A new key is shown only once, right after it is created.")
        return redirect("settings_api_keys")
    key, raw = shown
    return render(request, "tenancy/settings_api_key_created.html", {"key": key, "raw_key": raw})


@_admin_page
@require_POST
def settings_api_key_revoke(request, pk: int):
    key = ApiKey.objects.filter(pk=pk).first()
    if key is None:
        raise Http404("No such key")
    services.api_key_revoke(key=key)
    messages.success(request, f"Key {key.name} ({key.prefix}…) revoked; it no longer authenticates.")
    return redirect("settings_api_keys")
