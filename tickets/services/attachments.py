"""Files stored with a ticket (default storage: local in development, S3-compatible in production)."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from base.errors import DomainError
from tenancy.models import User
from tickets.models import Ticket, TicketAttachment, TicketChange, TicketComment
from tickets.services.common import check_tenant

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


def store_attachment(ticket: Ticket, upload: UploadedFile, *, actor: User | None, comment: TicketComment | None):
    if upload.size is not None and upload.size > MAX_ATTACHMENT_BYTES:
        raise DomainError(f"{upload.name} is larger than 25 MB.", field="file")
    name = (upload.name or "attachment").rsplit("/", 1)[-1][:200]
    attachment = TicketAttachment(
        tenant_id=ticket.tenant_id, ticket=ticket, comment=comment, filename=name,
        content_type=(getattr(upload, "content_type", "") or "")[:100], size=upload.size or 0, uploaded_by=actor,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def ticket_attach(
    *, ticket: Ticket, file: UploadedFile, actor: User | None = None, comment: TicketComment | None = None,
    actor_label: str = "",
) -> TicketAttachment:
    """Store a file with the ticket (default storage: local in development, S3-compatible in production)."""
    check_tenant(ticket, "ticket")
    if comment is not None and comment.ticket_id != ticket.pk:
        raise DomainError("That comment belongs to another ticket.", field="comment")
    attachment = store_attachment(ticket, file, actor=actor, comment=comment)
    TicketChange.objects.create(
        tenant_id=ticket.tenant_id, ticket=ticket, at=attachment.created_at, actor=actor, actor_label=actor_label,
        action="attachment", changes={"attachment": [None, attachment.filename]},
    )
    return attachment

