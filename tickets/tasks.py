"""Celery tasks of the ticket app: thin, idempotent, named, taking ``tenant_id``.

* ``tickets.scan_sla_all_tenants`` (beat, every minute) fans out ``tickets.scan_sla(tenant_id)``.
* ``tickets.scan_sla`` marks at-risk / breached tickets and escalates (see ``tickets.sla_engine.scan``).
* ``tickets.send_email`` sends one email (replies to customers, acknowledgements, escalations, assignments).
"""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task
from django.core.mail import EmailMessage
from django.utils import timezone

from tenancy.context import tenant_context
from tenancy.models import Tenant

logger = logging.getLogger(__name__)


@shared_task(name="tickets.scan_sla_all_tenants", acks_late=True, ignore_result=True)
def scan_sla_all_tenants() -> int:
    """Fan out one scan per tenant; returns how many were enqueued."""
    tenant_ids = list(Tenant.objects.order_by("pk").values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        scan_sla.apply_async(args=[tenant_id], expires=55)
    return len(tenant_ids)


@shared_task(name="tickets.scan_sla", acks_late=True, ignore_result=True)
def scan_sla(tenant_id: int) -> dict:
    from tickets.sla_engine import scan

    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return {"skipped": True}
    with tenant_context(tenant):
        result = scan(now=timezone.now())
    summary = {
        "tenant_id": tenant_id, "candidates": result.candidates, "warned": result.transitions.warned,
        "breached": result.transitions.breached, "escalated": result.transitions.escalated, "skipped": result.skipped,
    }
    if result.candidates:
        logger.info("SLA scan %s", summary)
    return summary


@shared_task(
    name="tickets.send_email", acks_late=True, ignore_result=True, autoretry_for=(SMTPException, OSError),
    retry_backoff=True, max_retries=5,
)
def send_email(
    tenant_id: int, recipients: list[str], subject: str, body: str, headers: dict[str, str] | None = None
) -> int:
    """One email (Django's configured backend: console locally, SMTP in production). ``headers`` carry
    the threading of replies to customers (Message-ID, In-Reply-To, References)."""
    return EmailMessage(subject, body, None, recipients, headers=headers or None).send()
