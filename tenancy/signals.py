"""On sign-in, land in the tenant used last and record that it is used now."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from tenancy.middleware import SESSION_TENANT_KEY
from tenancy.selectors import membership_for_request
from tenancy.services import membership_mark_used


@receiver(user_logged_in, dispatch_uid="tenancy.land_in_last_used_tenant")
def land_in_last_used_tenant(sender, request, user, **kwargs):
    membership = membership_for_request(user=user, tenant_id=None)
    if membership is None:
        return
    membership_mark_used(membership=membership)
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_TENANT_KEY] = membership.tenant_id
