"""Celery tasks of the ticket app: thin, idempotent, named, taking ``tenant_id``.

* ``tickets.scan_sla_all_tenants`` (beat, every minute) fans out ``tickets.scan_sla(tenant_id)``
  (``core.fanout``; each copy expires before the next minute's).
* ``tickets.scan_sla`` marks at-risk / breached tickets and escalates (see ``tickets.sla_engine.scan``).
* ``tickets.send_email`` sends one email (replies to customers, acknowledgements, escalations, assignments)
  in the name of the tenant: From is "<tenant name> Support <DEFAULT_FROM_EMAIL's address>". A deleted
  tenant's email is not sent.
"""

from __future__ import annotations

import logging
from email.utils import formataddr, parseaddr
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from core.fanout import fan_out, tenant_job
from tenancy.models import Tenant
from tickets.sla_engine import scan

logger = logging.getLogger(__name__)

SCAN_EXPIRES_SECONDS = 55


@shared_task(name="tickets.scan_sla_all_tenants", acks_late=True, ignore_result=True)
def scan_sla_all_tenants() -> int:
    """Fan out one scan per tenant; returns how many were enqueued."""
    return fan_out(scan_sla, expires=SCAN_EXPIRES_SECONDS)


@shared_task(name="tickets.scan_sla", acks_late=True, ignore_result=True)
def scan_sla(tenant_id: int) -> dict:
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return {"skipped": True}
        result = scan(now=timezone.now())
    summary = {
        "tenant_id": tenant_id, "candidates": result.candidates, "warned": result.transitions.warned,
        "breached": result.transitions.breached, "escalated": result.transitions.escalated, "skipped": result.skipped,
    }
    if result.candidates:
        logger.info("SLA scan %s", summary)
    return summary


def tenant_from_address(tenant: Tenant) -> str:
    """The tenant's support sender: its name as the display name, the platform's address."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL or "")[1] or "webmaster@localhost"
    return formataddr((f"{tenant.name} Support", address))


@shared_task(
    name="tickets.send_email", acks_late=True, ignore_result=True, autoretry_for=(SMTPException, OSError),
    retry_backoff=True, max_retries=5,
)
def send_email(
    tenant_id: int, recipients: list[str], subject: str, body: str, headers: dict[str, str] | None = None
) -> int:
    """One email (Django's configured backend: console locally, SMTP in production), from the tenant's support
    sender. ``headers`` carry the threading of replies to customers (Message-ID, In-Reply-To, References)."""
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            logger.info("Email for deleted tenant %s not sent: %s", tenant_id, subject)
            return 0
        message = EmailMessage(subject, body, tenant_from_address(tenant), recipients, headers=headers or None)
        return message.send()
