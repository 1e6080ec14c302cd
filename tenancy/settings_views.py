"""Settings pages for admins (TENANT_MANAGE): people and roles, API keys.

A member without the capability gets 403 (it is their own tenant); a membership or key of
another tenant is 404. Every write goes through tenancy.services; POSTs redirect (PRG).
"""

from __future__ import annotations

import logging
import smtplib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from base.errors import DomainError
from tenancy import selectors, services
from tenancy.access_settings import access_api_key, access_invitation, access_membership
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.forms import ApiKeyForm, InviteForm, RoleForm
from tenancy.models import Invitation, Role
from tenancy.permissions import TENANT_MANAGE

logger = logging.getLogger(__name__)


def _admin_page(view):
    """Signed in, a member, and allowed to manage the tenant (403 otherwise)."""
    return login_required(tenant_required(capability_required(TENANT_MANAGE)(view)))


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
        "invitations": list(selectors.pending_invitations()),
        "roles": Role.choices,
    }
    return render(request, "tenancy/settings_members.html", context, status=status)


@_admin_page
@require_POST
def settings_member_invite(request):
    """Invite someone by email. They become a member only when they accept the emailed link."""
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _members_page(request, form, status=400)
    email = form.cleaned_data["email"]
    try:
        with transaction.atomic():
            invitation, link_token = services.invitation_create(
                tenant=request.tenant, email=email, role=form.cleaned_data["role"],
                full_name=form.cleaned_data["full_name"], actor=request.user,
            )
            _send_invitation(request, invitation, link_token)  # a failure rolls the invitation back
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return _members_page(request, form, status=400)
    except (smtplib.SMTPException, OSError):
        logger.exception("invitation email to %s failed", email)
        messages.error(request, f"The invitation to {email} could not be sent (mail server error); nothing was saved. "
                       "Try again later.")
        return redirect("settings_members")
    messages.success(
        request, f"Invited {email} as {invitation.get_role_display()}. They join when they accept the emailed link "
        f"(valid {services.INVITATION_TTL.days} days).",
    )
    return redirect("settings_members")


def _send_invitation(request, invitation: Invitation, link_token: str) -> None:
    context = {
        "invitation": invitation,
        "tenant": request.tenant,
        "inviter": request.user,
        "role": invitation.get_role_display(),
        "accept_url": request.build_absolute_uri(reverse("invitation_accept", args=[link_token])),
        "expires_at": invitation.expires_at,
    }
    subject = "".join(render_to_string("tenancy/settings_invite_subject.txt", context).splitlines())
    body = render_to_string("tenancy/settings_invite_email.txt", context)
    send_mail(subject, body, None, [invitation.email])


@_admin_page
@require_POST
def settings_invitation_revoke(request, pk: int):
    with transaction.atomic():
        invitation = access_invitation(pk, principal=request.principal, for_write=True)
        services.invitation_revoke(invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} was revoked; its link no longer works.")
    return redirect("settings_members")


@_admin_page
@require_POST
def settings_member_role(request, pk: int):
    membership = access_membership(pk, principal=request.principal)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("settings_members")
    try:
        with transaction.atomic():
            membership = access_membership(pk, principal=request.principal, for_write=True)
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
    membership = access_membership(pk, principal=request.principal)
    try:
        with transaction.atomic():
            services.member_remove(membership=access_membership(pk, principal=request.principal, for_write=True))
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
            actor=request.user,
        )
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return _keys_page(request, form, status=400)
    # Shown once, on the next page: a one-time server-side reveal that only this URL's token unseals.
    token = services.api_key_reveal_create(key=key, raw=raw, actor=request.user)
    return redirect("settings_api_key_created", token=token)


@_admin_page
@require_GET
@never_cache
def settings_api_key_created(request, token: str):
    shown = services.api_key_reveal_take(token=token, actor=request.user)
    if shown is None:
        messages.info(request, "A new key is shown only once, right after it is created.")
        return redirect("settings_api_keys")
    key, raw = shown
    return render(request, "tenancy/settings_api_key_created.html", {"key": key, "raw_key": raw})


@_admin_page
@require_POST
def settings_api_key_revoke(request, pk: int):
    with transaction.atomic():
        key = access_api_key(pk, principal=request.principal, for_write=True)
        services.api_key_revoke(key=key)
    messages.success(request, f"Key {key.name} ({key.prefix}…) revoked; it no longer authenticates.")
    return redirect("settings_api_keys")
