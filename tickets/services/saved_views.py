"""A member's saved queue views (a name and the queue's query string), moved here from knowledge."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from base.errors import DomainError
from tenancy.context import get_current_tenant
from tenancy.models import User
from tickets.models import QueueView

NAME_MAX = QueueView._meta.get_field("name").max_length


@transaction.atomic
def queue_view_save(*, actor: User, name: str, query: str) -> QueueView:
    """Save (or overwrite, by name) one of the member's ticket-queue views."""
    name = (name or "").strip()
    if not name:
        raise DomainError("This field is required.", field="name")
    if len(name) > NAME_MAX:
        raise DomainError(f"At most {NAME_MAX} characters.", field="name")
    query = (query or "").lstrip("?")[:500]
    try:
        with transaction.atomic():
            view, _ = QueueView.objects.update_or_create(
                user=actor, name=name, defaults={"query": query, "tenant": get_current_tenant()}
            )
    except IntegrityError as exc:  # a concurrent save of the same name
        raise DomainError("A view with this name was just saved; try again.", field="name") from exc
    return view


@transaction.atomic
def queue_view_delete(*, actor: User, pk: int) -> bool:
    """Delete one of the member's own saved views; False when there is none (another member's is not theirs)."""
    deleted, _ = QueueView.objects.filter(user=actor, pk=pk).delete()
    return bool(deleted)
