"""Sending a survey: the recipients written set-based, then batches of sends (a Celery task each).

``recipients_materialize`` writes one pending send per contact of the chosen roles of the tenant's active
accounts (``INSERT ... SELECT ... ON CONFLICT DO NOTHING``: one statement, and a repeat adds nobody twice:
the unique constraint is (campaign, occasion, lower(email))). ``batch_ranges`` cuts the pending ids into
ranges of ``BATCH_SIZE``; each range is one ``advocacy.send_survey_batch`` task, enqueued through the outbox.

``send_batch`` (one range) runs in one transaction: it locks the range's pending sends (``SKIP LOCKED``,
so two copies of one batch never take the same row), skips set-based the unsubscribed and the fatigued
recipients, sends the rest over one email connection, marks each sent or failed, and adds the batch to the
campaign's counters. A retried batch finds its rows no longer pending and sends nothing again.

Fatigue (the tenant's ``AdvocacySettings``), checked at send time:
* NPS and post-implementation: skipped when the recipient was sent any NPS or post-implementation survey
  fewer than ``fatigue_days`` days before;
* CSAT after a ticket: skipped when the recipient was sent a ticket CSAT fewer than ``csat_contact_days``
  days before (once per ticket is the occasion's unique key).

Days are whole days in the tenant's time zone: sent on day D, the recipient may be surveyed again from day
D + N (0 days: no limit).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Account, AccountStatus, Contact
from advocacy import survey_links
from advocacy import survey_selectors as selectors
from advocacy.models import (
    FATIGUE_PURPOSES,
    SendStatus,
    Survey,
    SurveyPurpose,
    SurveySend,
    SurveyStatus,
    Unsubscribe,
)
from tenancy.context import get_current_tenant

BATCH_SIZE = 500

_MATERIALIZE_SQL = """
INSERT INTO {send} (tenant_id, survey_id, account_id, contact_id, email, purpose, occasion, token_id, status,
                    skip_reason, error, created_at)
SELECT c.tenant_id, %(survey)s, c.account_id, c.id, c.email, %(purpose)s, '', gen_random_uuid(), 'pending', '', '',
       %(now)s
FROM {contact} c JOIN {account} a ON a.id = c.account_id
WHERE c.tenant_id = %(tenant)s AND a.tenant_id = %(tenant)s AND a.status = %(active)s
  AND NOT c.left_company AND c.email <> '' {roles}
ON CONFLICT DO NOTHING
"""


def recipients_materialize(survey: Survey) -> int:
    """Write the campaign's pending sends (one statement); returns the campaign's number of recipients."""
    params = {
        "survey": survey.pk, "purpose": survey.purpose, "now": timezone.now(), "tenant": survey.tenant_id,
        "active": AccountStatus.ACTIVE,
    }
    roles = ""
    if survey.target_roles:
        params["roles"] = list(survey.target_roles)
        roles = "AND c.role = ANY(%(roles)s)"
    sql = _MATERIALIZE_SQL.format(
        send=SurveySend._meta.db_table, contact=Contact._meta.db_table, account=Account._meta.db_table, roles=roles
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    total = SurveySend.objects.filter(survey=survey).count()
    Survey.objects.filter(pk=survey.pk).update(recipients=total)
    survey.recipients = total
    return total


def batch_ranges(survey: Survey, *, size: int | None = None, due_by=None) -> list[tuple[int, int]]:
    """The pending sends' ids (only those due by ``due_by`` when given) cut into (first, last) ranges of
    ``size`` rows. A range may span ids not due yet: ``send_batch`` takes only the due ones of its range."""
    size = size or BATCH_SIZE
    pending = SurveySend.objects.filter(survey=survey, status=SendStatus.PENDING)
    if due_by is not None:
        pending = pending.filter(due_at__lte=due_by)
    ids = list(pending.order_by("pk").values_list("pk", flat=True))
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


def _skip_reasons(survey: Survey, rows: list[SurveySend], now) -> dict[int, str]:
    """Which of ``rows`` to skip and why (two queries, whatever the batch size)."""
    emails = {row.email.lower() for row in rows}
    unsubscribed = set(
        Unsubscribe.objects.annotate(key=Lower("email")).filter(key__in=emails).values_list("key", flat=True)
    )
    rules = selectors.settings_for()
    if survey.purpose == SurveyPurpose.CSAT_TICKET:
        purposes, days, reason = [SurveyPurpose.CSAT_TICKET], rules.csat_contact_days, "csat_recently"
    else:
        purposes, days, reason = list(FATIGUE_PURPOSES), rules.fatigue_days, "fatigue"
    # Whole days in the tenant's time zone: sent on day D, the recipient may be surveyed again from D + days
    # (so milestones 30 days apart, or quarterly campaigns, are never skipped for a few minutes' difference).
    tz = get_current_tenant().tzinfo
    since = datetime.combine(timezone.localtime(now, tz).date() - timedelta(days=days - 1), time.min, tz)
    recent = set(
        SurveySend.objects.annotate(key=Lower("email"))
        .filter(key__in=emails, purpose__in=purposes, status=SendStatus.SENT, sent_at__gte=since)
        .exclude(pk__in=[row.pk for row in rows])
        .values_list("key", flat=True)
    ) if days else set()
    skips = {}
    for row in rows:
        key = row.email.lower()
        if row.account.status != AccountStatus.ACTIVE or (row.contact_id and row.contact.left_company):
            skips[row.pk] = "no_longer_a_customer_contact"  # churned, or left since the send was planned
        elif key in unsubscribed:
            skips[row.pk] = "unsubscribed"
        elif key in recent:
            skips[row.pk] = reason
    return skips


def build_message(survey: Survey, send: SurveySend) -> EmailMultiAlternatives:
    base = django_settings.SITE_URL.rstrip("/")
    context = {
        "survey": survey, "send": send, "tenant_name": send.tenant.name if send.tenant_id else "",
        "respond_url": base + survey_links.respond_path(send),
        "unsubscribe_url": base + survey_links.unsubscribe_path(send),
        "scores": range(0, 11) if survey.kind == "nps" else range(1, 6),
        "name": send.contact.name if send.contact_id else "",
    }
    text = render_to_string("advocacy/email/survey.txt", context)
    html = render_to_string("advocacy/email/survey.html", context)
    message = EmailMultiAlternatives(
        subject=survey.email_subject, body=text, to=[send.email],
        headers={"List-Unsubscribe": f"<{context['unsubscribe_url']}>"},
    )
    message.attach_alternative(html, "text/html")
    return message


def send_batch(*, survey: Survey, first: int, last: int) -> dict[str, int]:
    """Send one range of the campaign's pending sends (see the module docstring). Returns the batch's counts."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            SurveySend.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("contact", "tenant", "account")
            .filter(survey=survey, status=SendStatus.PENDING, pk__gte=first, pk__lte=last)
            .filter(Q(due_at__isnull=True) | Q(due_at__lte=now)).order_by("pk")
        )
        skips = _skip_reasons(survey, rows, now)
        for reason in set(skips.values()):
            SurveySend.objects.filter(pk__in=[pk for pk, r in skips.items() if r == reason]).update(
                status=SendStatus.SKIPPED, skip_reason=reason,
            )
        sent, failed = [], {}
        to_send = [row for row in rows if row.pk not in skips]
        if to_send:
            with get_connection() as mail:
                for row in to_send:
                    try:
                        mail.send_messages([build_message(survey, row)])
                        sent.append(row.pk)
                    except Exception as exc:  # noqa: BLE001 - one bad address must not stop the batch
                        failed[row.pk] = f"{exc.__class__.__name__}: {exc}"[:500]
        SurveySend.objects.filter(pk__in=sent).update(status=SendStatus.SENT, sent_at=now)
        for pk, error in failed.items():
            SurveySend.objects.filter(pk=pk).update(status=SendStatus.FAILED, error=error)
        Survey.objects.filter(pk=survey.pk).update(
            sent_count=F("sent_count") + len(sent), skipped_count=F("skipped_count") + len(skips),
            failed_count=F("failed_count") + len(failed),
        )
    # After the commit: two last batches finishing together each see the other's rows once committed.
    finish_if_done(survey, now)
    return {"sent": len(sent), "skipped": len(skips), "failed": len(failed)}


def finish_if_done(survey: Survey, now) -> None:
    if survey.automatic:
        return
    if not SurveySend.objects.filter(survey=survey, status=SendStatus.PENDING).exists():
        Survey.objects.filter(pk=survey.pk, status=SurveyStatus.SENDING).update(status=SurveyStatus.SENT, finished_at=now)
