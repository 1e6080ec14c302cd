"""Recording a survey response: the one write behind ``POST /api/v1/survey-responses/`` and the public
response page.

In one transaction: the response row, its entry on the account timeline (with the comment), and, for an
NPS detractor (0-6) or a CSAT of 1-2, a CTA for the account's CSM due within 48 hours. The CTA's dedupe
key names the response (``survey-response:<id>``), so it is opened exactly once per response, and a second
submission of one survey link records nothing (the send is locked and already answered).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, ActivityKind, Contact, Task, TaskPriority, TaskSource
from accounts.services import activity_record, cta_open_bulk
from advocacy import nps as math
from advocacy import response_events
from advocacy.models import SurveyKind, SurveyResponse, SurveySend, nps_category
from advocacy.models.responses import SCORE_RANGES
from base.errors import DomainError
from tenancy.models import User

SOURCE = "advocacy"
CTA_KEY_PREFIX = "survey-response:"
CTA_DUE_HOURS = 48
MAX_COMMENT = 5000


def describe(kind: str, score: int) -> str:
    """"NPS 4 (detractor)" / "CSAT 5"."""
    if kind == SurveyKind.NPS:
        return f"NPS {score} ({nps_category(score)})"
    return f"CSAT {score}"


def validate(*, account: Account, contact: Contact | None, kind: str, score, comment: str) -> None:
    if kind not in SurveyKind.values:
        raise DomainError(f"Kind must be one of {', '.join(SurveyKind.values)}.", field="kind")
    low, high = SCORE_RANGES[SurveyKind(kind)]
    if not isinstance(score, int) or isinstance(score, bool) or not low <= score <= high:
        raise DomainError(f"A {kind.upper()} score is a whole number from {low} to {high}.", field="score")
    if contact is not None and contact.account_id != account.pk:
        raise DomainError("This contact belongs to another account.", field="contact")
    if len(comment) > MAX_COMMENT:
        raise DomainError(f"A comment has at most {MAX_COMMENT} characters.", field="comment")


@transaction.atomic
def response_record(
    *, account: Account, kind: str, score: int, responded_at: datetime | None = None, contact: Contact | None = None,
    comment: str = "", actor: User | None = None, survey_name: str = "",
) -> SurveyResponse:
    comment = (comment or "").strip()
    validate(account=account, contact=contact, kind=kind, score=score, comment=comment)
    responded_at = responded_at or timezone.now()
    response = SurveyResponse.objects.create(
        tenant_id=account.tenant_id, account=account, contact=contact, kind=kind, score=score, comment=comment,
        responded_at=responded_at,
    )
    who = contact.name if contact is not None else "a customer"
    label = describe(kind, score)
    activity_record(
        account=account, kind=ActivityKind.SYSTEM, subject=f"Survey response: {label} from {who}", body=comment,
        actor=actor, occurred_at=responded_at, source=SOURCE, ref_type="survey_response", ref_id=response.pk,
        metadata={"kind": kind, "score": score, "category": response.category, "survey": survey_name},
    )
    if math.is_alert(kind, score):
        now = timezone.now()
        cta_open_bulk(ctas=[Task(
            account_id=account.pk, owner_id=account.csm_id, title=f"Follow up: {label} from {who}"[:200],
            description=comment or "No comment given.", priority=TaskPriority.HIGH, source=TaskSource.SYSTEM,
            due_date=timezone.localdate(now + timedelta(hours=CTA_DUE_HOURS)),
            dedupe_key=f"{CTA_KEY_PREFIX}{response.pk}",
        )], moment=now)
    response_events.publish_received(response, account_name=account.name)
    return response


@transaction.atomic
def response_record_for_send(*, send: SurveySend, score, comment: str = "") -> tuple[SurveyResponse, bool]:
    """Answer a sent survey once: the send is re-read under a row lock; if it already has its response that
    response is returned unchanged (``created`` False), whatever was submitted the second time."""
    locked = SurveySend.objects.select_for_update(of=("self",)).select_related("survey", "account", "contact").get(pk=send.pk)
    if locked.response_id is not None:
        return SurveyResponse.objects.get(pk=locked.response_id), False
    response = response_record(
        account=locked.account, contact=locked.contact, kind=locked.survey.kind, score=score, comment=comment,
        survey_name=locked.survey.name,
    )
    SurveySend.objects.filter(pk=locked.pk).update(response=response, responded_at=response.responded_at)
    return response, True
