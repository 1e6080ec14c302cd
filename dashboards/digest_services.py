"""The CSMs' daily email digest: queued each morning in the tenant's time zone through the transactional outbox,
once per CSM per local day, then rendered and sent by its own task.

* ``digests_queue``: for the tenant in context, from ``DIGEST_LOCAL_HOUR`` (07:00) local time on, one
  ``DigestSent`` row per CSM for today (``INSERT ... ON CONFLICT DO NOTHING RETURNING``: a second beat run, a
  retry or a concurrent run queues nothing again) and one outbox message (``dashboards.send_digest``) per
  row written, in the same transaction. Beat runs it hourly, so every time zone's morning is met and a
  missed hour is caught up by the next.
* ``digest_send``: the row locked and still queued, or nothing happens; the CSM re-checked (still a member
  with a book, digest not turned off); nothing to report sends nothing (marked ``empty``); else one email
  (plain text and HTML) and the row marked ``sent`` in the same transaction.
* ``digest_preference_set``: a member turns their digest on or off.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core import outbox
from dashboards.digest_selectors import Digest, digest_for, digest_recipient_ids, wants_digest
from dashboards.models import DigestPreference, DigestSent, DigestStatus
from tenancy.context import get_current_tenant
from tenancy.models import User

SEND_TASK = "dashboards.send_digest"


def local_hour() -> int:
    return int(getattr(settings, "DIGEST_LOCAL_HOUR", 7))


@transaction.atomic
def digests_queue(*, now: datetime | None = None) -> int:
    """Queue today's digests of the tenant in context that are not queued yet; returns how many."""
    tenant = get_current_tenant()
    local = timezone.localtime(now or timezone.now(), tenant.tzinfo)
    if local.hour < local_hour():
        return 0
    user_ids = digest_recipient_ids()
    if not user_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {DigestSent._meta.db_table} (tenant_id, user_id, day, status, queued_at, items) "
            "SELECT %s, u, %s, %s, %s, 0 FROM unnest(%s::bigint[]) AS u "
            "ON CONFLICT (tenant_id, user_id, day) DO NOTHING RETURNING id",
            [tenant.pk, local.date(), DigestStatus.QUEUED, now or timezone.now(), user_ids],
        )
        queued = [row[0] for row in cursor.fetchall()]
    outbox.enqueue_many(SEND_TASK, [([], {"tenant_id": tenant.pk, "digest_id": pk}) for pk in queued], tenant_id=tenant.pk)
    return len(queued)


def build_message(*, digest: Digest, user: User, tenant_name: str) -> EmailMultiAlternatives:
    context = {"digest": digest, "user": user, "tenant_name": tenant_name}
    count = digest.total
    subject = f"{tenant_name}: {count} item{'s' if count != 1 else ''} in your book need attention ({digest.day:%a %d %b})"
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string("dashboards/email/digest.txt", context), to=[user.email],
    )
    message.attach_alternative(render_to_string("dashboards/email/digest.html", context), "text/html")
    return message


@transaction.atomic
def digest_send(*, digest_id: int, now: datetime | None = None) -> str:
    """Render and send one queued digest; returns its status (``sent``, ``empty``, ``skipped``), or ``done``
    when it was already handled (a redelivered message)."""
    row = (DigestSent.objects.select_for_update(of=("self",)).select_related("user")
           .filter(pk=digest_id, status=DigestStatus.QUEUED).first())
    if row is None:
        return "done"
    now = now or timezone.now()
    if not wants_digest(row.user_id):
        row.status = DigestStatus.SKIPPED
    else:
        digest = digest_for(csm_id=row.user_id, today=row.day, now=now)
        row.items = digest.total
        if digest.is_empty:
            row.status = DigestStatus.EMPTY
        else:
            build_message(digest=digest, user=row.user, tenant_name=get_current_tenant().name).send()
            row.status, row.sent_at = DigestStatus.SENT, now
    row.save(update_fields=["status", "sent_at", "items"])
    return row.status


def digest_preference_get(*, user: User) -> bool:
    return DigestPreference.objects.filter(user=user).values_list("daily_digest", flat=True).first() is not False


@transaction.atomic
def digest_preference_set(*, user: User, daily_digest: bool) -> DigestPreference:
    preference, _ = DigestPreference.objects.update_or_create(
        user=user, defaults={"daily_digest": bool(daily_digest), "updated_at": timezone.now()},
        create_defaults={"tenant": get_current_tenant(), "daily_digest": bool(daily_digest)},
    )
    return preference
