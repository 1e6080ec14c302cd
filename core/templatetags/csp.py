"""Template helpers shared by every app: `{% load csp %}`."""

from __future__ import annotations

from django import template

from tenancy.context import current_tenant_or_none

register = template.Library()


@register.filter
def segment_label(key: str | None) -> str:
    """The current tenant's label for a segment key (e.g. mid_market -> Mid-Market)."""
    tenant = current_tenant_or_none()
    if not key:
        return "—"
    if tenant is not None:
        for segment in tenant.get_segment_thresholds():
            if segment["key"] == key:
                return segment.get("label") or key
    return key.replace("_", " ").title()
