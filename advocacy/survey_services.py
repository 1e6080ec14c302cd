"""Survey campaign writes: create, edit, schedule, send (the batches go through the outbox), the survey
settings, unsubscribes, and the automatic surveys (CSAT after a resolved ticket, post-implementation).

Automatic surveys are driven by domain events (``core.registries.events``), never by importing tickets or
onboarding:

* ``ticket.resolved`` -> one send on the standing "CSAT after a ticket" campaign, occasion ``ticket:<id>``
  (unique: a ticket resolved twice is surveyed once), sent at once;
* ``onboarding.went_live`` -> one pending send per contact and milestone (30/60/90 days, tenant setting) on
  the standing post-implementation campaign, occasion ``plan:<id>:<days>``, due at go-live + N days. The
  daily job (``surveys_send_due``) sends what fell due, set-based.

  Why due rows and a daily job rather than Celery countdowns: a 90-day ETA would sit in the broker (with
  Redis, an ETA beyond the visibility timeout is redelivered again and again) and is lost with a purged
  queue; due rows live in the database with the change that caused them, show on the campaign page, and a
  job that did not run for a day catches up the next day (everything due and still pending is sent).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Account, AccountStatus, Contact, ContactRole
from advocacy import survey_selectors as selectors
from advocacy import survey_sending
from advocacy.models import (
    PURPOSE_KIND,
    AdvocacySettings,
    SendStatus,
    Survey,
    SurveyPurpose,
    SurveySend,
    SurveyStatus,
    Unsubscribe,
)
from base.errors import DomainError
from core import outbox
from tenancy.context import get_current_tenant
from tenancy.models import User

BATCH_TASK = "advocacy.send_survey_batch"

DEFAULT_WORDING: dict[str, dict[str, str]] = {
    SurveyPurpose.NPS_QUARTERLY: {
        "question": "How likely are you to recommend us to a friend or colleague?",
        "comment_question": "What is the main reason for your score?",
        "email_subject": "How are we doing? One question, one minute",
        "email_body": "We would love to hear how working with us is going. Your answer goes straight to your "
                      "customer success manager.",
    },
    SurveyPurpose.CSAT_TICKET: {
        "question": "How satisfied are you with the support you received?",
        "comment_question": "Anything we could have done better?",
        "email_subject": "How did we do on your support request?",
        "email_body": "Your support request was resolved. Please tell us how it went.",
    },
    SurveyPurpose.POST_IMPLEMENTATION: {
        "question": "How satisfied are you with your implementation so far?",
        "comment_question": "What would make the product more valuable for you?",
        "email_subject": "How is it going since go-live?",
        "email_body": "You have been live for a while now. Please tell us how it is going.",
    },
}
WORDING_FIELDS = ("question", "comment_question", "email_subject", "email_body")
EDITABLE = ("name", *WORDING_FIELDS, "target_roles", "scheduled_for")


def wording_for(purpose: str) -> dict[str, str]:
    """The tenant's wording for a purpose (its settings over the defaults)."""
    stored = selectors.settings_for().wording.get(purpose, {})
    return {**DEFAULT_WORDING[purpose], **{k: v for k, v in stored.items() if k in WORDING_FIELDS and v}}


MAX_LENGTHS = {"name": 200, "question": 300, "comment_question": 300, "email_subject": 200, "email_body": 5000}


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    if "name" in data and not str(data["name"]).strip():
        raise DomainError("A campaign needs a name.", field="name")
    for name, limit in MAX_LENGTHS.items():
        if name in data:
            data[name] = str(data[name] or "").strip()
            if len(data[name]) > limit:
                raise DomainError(f"At most {limit} characters.", field=name)
    for name in ("question", "email_subject", "email_body"):
        if name in data and not str(data[name]).strip():
            raise DomainError("This cannot be empty.", field=name)
    roles = data.get("target_roles")
    if roles is not None:
        if not isinstance(roles, list | tuple) or any(r not in ContactRole.values for r in roles):
            raise DomainError(f"Roles are among {', '.join(ContactRole.values)}.", field="target_roles")
        data["target_roles"] = sorted(set(roles))
    at = data.get("scheduled_for")
    if at is not None and at <= timezone.now():
        raise DomainError("Schedule it in the future (or send it now).", field="scheduled_for")
    return data


def _with_wording(purpose: str, given: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """``given`` with the tenant's wording for every one of ``names`` left empty."""
    wording = wording_for(purpose)
    return {**given, **{n: wording[n] for n in names if n in given and not str(given[n] or "").strip()}}


@transaction.atomic
def survey_create(*, actor: User | None, name: str, purpose: str = SurveyPurpose.NPS_QUARTERLY, **data: Any) -> Survey:
    """A draft campaign (scheduled when ``scheduled_for`` is given); empty wording takes the tenant's."""
    if purpose not in SurveyPurpose.values:
        raise DomainError("Unknown purpose.", field="purpose")
    given = {**dict.fromkeys(WORDING_FIELDS, ""), **{k: v for k, v in data.items() if k in EDITABLE}}
    fields = _clean({"name": name, **_with_wording(purpose, given, WORDING_FIELDS)})
    status = SurveyStatus.SCHEDULED if fields.get("scheduled_for") else SurveyStatus.DRAFT
    return Survey.objects.create(
        tenant=get_current_tenant(), purpose=purpose, kind=PURPOSE_KIND[SurveyPurpose(purpose)], status=status,
        created_by=actor, **fields,
    )


@transaction.atomic
def survey_update(*, survey: Survey, actor: User | None = None, **data: Any) -> Survey:
    if survey.status not in (SurveyStatus.DRAFT, SurveyStatus.SCHEDULED) and not survey.automatic:
        raise DomainError("A campaign that is sending or sent can no longer be edited.", field="status", status_code=409)
    required = ("question", "email_subject", "email_body")
    fields = _clean(_with_wording(survey.purpose, {k: v for k, v in data.items() if k in EDITABLE}, required))
    for name, value in fields.items():
        setattr(survey, name, value)
    if not survey.automatic:
        survey.status = SurveyStatus.SCHEDULED if survey.scheduled_for else SurveyStatus.DRAFT
    survey.save()
    return survey


def survey_send(*, survey: Survey, actor: User | None = None) -> Survey:
    """Start sending now: draft/scheduled -> sending (compare-and-set, so two clicks send once), recipients
    written, one batch task per ``BATCH_SIZE`` recipients through the outbox; all in one transaction."""
    with transaction.atomic():
        started = Survey.objects.filter(
            pk=survey.pk, automatic=False, status__in=[SurveyStatus.DRAFT, SurveyStatus.SCHEDULED]
        ).update(status=SurveyStatus.SENDING, started_at=timezone.now())
        if not started:
            raise DomainError("This campaign is already sending or sent.", field="status", status_code=409)
        survey.refresh_from_db()
        survey_sending.recipients_materialize(survey)
        _enqueue_batches(survey)
    return survey


def _enqueue_batches(survey: Survey, ranges: list[tuple[int, int]] | None = None) -> int:
    ranges = survey_sending.batch_ranges(survey) if ranges is None else ranges
    if not ranges:
        survey_sending.finish_if_done(survey, timezone.now())
        return 0
    return outbox.enqueue_many(
        BATCH_TASK, [([survey.tenant_id, survey.pk, first, last], {}) for first, last in ranges],
        tenant_id=survey.tenant_id,
    )


def surveys_send_due(*, now: datetime | None = None) -> dict[str, int]:
    """The daily / periodic job: start scheduled campaigns whose time came, and send the automatic sends
    that fell due (post-implementation milestones), set-based."""
    now = now or timezone.now()
    started = 0
    for survey in Survey.objects.filter(status=SurveyStatus.SCHEDULED, automatic=False, scheduled_for__lte=now):
        try:
            survey_send(survey=survey)
            started += 1
        except DomainError:
            continue  # started meanwhile by someone else
    due = 0
    with transaction.atomic():
        for survey in Survey.objects.filter(automatic=True):
            ranges = survey_sending.batch_ranges(survey, due_by=now)
            due += len(ranges)
            if ranges:
                _enqueue_batches(survey, ranges)
    return {"started": started, "due_batches": due}


# --- automatic surveys -----------------------------------------------------------------------------------


def automatic_survey(purpose: str) -> Survey:
    """The tenant's standing campaign of an automatic purpose (created with the tenant's wording)."""
    found = Survey.objects.filter(automatic=True, purpose=purpose).first()
    if found:
        return found
    try:
        with transaction.atomic():
            return Survey.objects.create(
                tenant=get_current_tenant(), automatic=True, purpose=purpose, kind=PURPOSE_KIND[SurveyPurpose(purpose)],
                name=SurveyPurpose(purpose).label, status=SurveyStatus.SENDING, **wording_for(purpose),
            )
    except IntegrityError:
        return Survey.objects.get(automatic=True, purpose=purpose)


def _active_account(account_id) -> Account | None:
    if not account_id:
        return None
    return Account.objects.filter(pk=account_id, status=AccountStatus.ACTIVE).first()


@transaction.atomic
def csat_for_resolved_ticket(*, payload: dict) -> SurveySend | None:
    """``ticket.resolved``: one CSAT send to the ticket's contact (or requester), once per ticket."""
    if not selectors.settings_for().csat_on_ticket_resolved:
        return None
    account = _active_account(payload.get("account_id"))
    if account is None:
        return None
    contact = Contact.objects.filter(pk=payload.get("contact_id"), account=account).first() if payload.get("contact_id") else None
    email = (contact.email if contact is not None and contact.email else payload.get("requester_email") or "").strip()
    if not email:
        return None
    if contact is None:
        contact = Contact.objects.filter(account=account, email__iexact=email).first()
    survey = automatic_survey(SurveyPurpose.CSAT_TICKET)
    send = SurveySend(
        tenant=get_current_tenant(), survey=survey, account=account, contact=contact, email=email,
        purpose=survey.purpose, occasion=f"ticket:{int(payload['ticket_id'])}",
    )
    created = SurveySend.objects.bulk_create([send], ignore_conflicts=True)
    send = SurveySend.objects.filter(survey=survey, occasion=send.occasion).first()
    if send is None or send.status != SendStatus.PENDING or not created:
        return send
    Survey.objects.filter(pk=survey.pk).update(recipients=F("recipients") + 1)
    _enqueue_batches(survey, [(send.pk, send.pk)])
    return send


@transaction.atomic
def post_implementation_for_go_live(*, payload: dict) -> int:
    """``onboarding.went_live``: the pending milestone sends (30/60/90 days after go-live by default) to the
    account's contacts of the campaign's roles, each due on its day (the daily job sends them)."""
    account = _active_account(payload.get("account_id"))
    if account is None:
        return 0
    went_live = date.fromisoformat(str(payload["went_live_on"]))
    survey = automatic_survey(SurveyPurpose.POST_IMPLEMENTATION)
    contacts = Contact.objects.filter(account=account, left_company=False).exclude(email="")
    if survey.target_roles:
        contacts = contacts.filter(role__in=survey.target_roles)
    tenant = get_current_tenant()
    rows = [
        SurveySend(
            tenant=tenant, survey=survey, account=account, contact=contact, email=contact.email, purpose=survey.purpose,
            occasion=f"plan:{int(payload['plan_id'])}:{days}",
            due_at=datetime.combine(went_live + timedelta(days=days), time(9), tenant.tzinfo),
        )
        for days in selectors.post_implementation_days(selectors.settings_for())
        for contact in contacts
    ]
    before = SurveySend.objects.filter(survey=survey).count()
    SurveySend.objects.bulk_create(rows, ignore_conflicts=True)
    added = SurveySend.objects.filter(survey=survey).count() - before
    Survey.objects.filter(pk=survey.pk).update(recipients=F("recipients") + added)
    return added


# --- settings and unsubscribes ----------------------------------------------------------------------------


@transaction.atomic
def settings_update(*, actor: User | None = None, **data: Any) -> AdvocacySettings:
    current = selectors.settings_for()
    for name in ("fatigue_days", "csat_contact_days", "link_max_age_days"):
        if name in data:
            value = data[name]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3650:
                raise DomainError("A whole number of days from 0 to 3650.", field=name)
            setattr(current, name, value)
    if "csat_on_ticket_resolved" in data:
        current.csat_on_ticket_resolved = bool(data["csat_on_ticket_resolved"])
    if "post_implementation_days" in data:
        days = data["post_implementation_days"]
        if not isinstance(days, list) or not all(isinstance(d, int) and 0 < d <= 730 for d in days):
            raise DomainError("Days after go-live: whole numbers from 1 to 730.", field="post_implementation_days")
        current.post_implementation_days = sorted(set(days))
    current.save()
    return current


@transaction.atomic
def unsubscribe(*, send: SurveySend) -> Unsubscribe:
    """The recipient of ``send`` gets no more surveys from this tenant (idempotent)."""
    Unsubscribe.objects.bulk_create(
        [Unsubscribe(tenant_id=send.tenant_id, email=send.email, contact=send.contact)], ignore_conflicts=True
    )
    # Pending sends to this address are skipped by their batch (at send time), counted there.
    return Unsubscribe.objects.get(email__iexact=send.email)
