from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from tenancy.permissions import role_can


def tenant_required(view):
    """A signed-in user with no membership sees an explanation rather than an error."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "tenant", None) is None:
            return render(request, "tenancy/no_tenant.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def capability_required(capability: str):
    """The member's role must grant `capability` (tenancy/permissions.py) for this view."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            membership = getattr(request, "membership", None)
            if membership is None or not role_can(membership.role, capability):
                raise PermissionDenied(f"Your role may not do this ({capability}).")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def member_can(request, capability: str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_can(membership.role, capability)
