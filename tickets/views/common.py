"""Decorators and small helpers the ticket pages share."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_POST

from tenancy.decorators import capability_required, tenant_required
from tenancy.permissions import TICKETS_WRITE
from tickets.models import TicketAttachment


def member_view(view):
    """A page for signed-in members of a tenant (times render in its time zone: TenantMiddleware)."""
    return login_required(tenant_required(view))


def ticket_write(view):
    """A POST that changes tickets: a member whose role has ``tickets.write``."""
    return member_view(capability_required(TICKETS_WRITE)(require_POST(view)))


def segment_labels(tenant) -> dict[str, str]:
    return tenant.segment_labels()


def attachment_response(attachment: TicketAttachment) -> FileResponse:
    """Stream a stored attachment as a download (never rendered inline: uploads are untrusted)."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("The file is missing from storage") from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.filename,
                        content_type=attachment.content_type or "application/octet-stream")
