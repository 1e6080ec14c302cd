"""What the ticket endpoints share: who a request acts as, and the member-by-email field."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field

from core.api.fields import TenantUserEmailField


@extend_schema_field({"type": "string", "format": "email", "nullable": True})
class MemberEmailField(TenantUserEmailField):
    pass


class ActorMixin:
    """Who a request acts as, for the change log: the member, or the API key by name."""

    @property
    def actor_label(self) -> str:
        key = getattr(self.request.user, "api_key", None)
        return f"API key: {key.name}" if key is not None else ""

    def actor_kwargs(self) -> dict:
        return {"actor": self.acting_user, "actor_label": self.actor_label}

