"""Survey tasks (Celery, thin): a sending batch, the event subscribers (ticket resolved, went live), and
the periodic job that starts scheduled campaigns and sends the automatic sends that fell due."""

from __future__ import annotations

from celery import shared_task

from advocacy import survey_sending, survey_services
from advocacy.models import Survey
from core.fanout import fan_out, tenant_job

SEND_DUE_EXPIRES = 10 * 60  # runs every 5 minutes: a copy not run within 10 is dropped


@shared_task(name="advocacy.send_survey_batch", acks_late=True, ignore_result=True)
def send_survey_batch(tenant_id: int, survey_id: int, first: int, last: int) -> dict | None:
    """One batch of a campaign (idempotent: only pending rows are sent, each once)."""
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return None
        survey = Survey.objects.filter(pk=survey_id).first()
        if survey is None:
            return None
        return survey_sending.send_batch(survey=survey, first=first, last=last)


@shared_task(name="advocacy.on_ticket_resolved", acks_late=True, ignore_result=True)
def on_ticket_resolved(tenant_id: int, payload: dict) -> int | None:
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return None
        send = survey_services.csat_for_resolved_ticket(payload=payload)
        return send.pk if send is not None else None


@shared_task(name="advocacy.on_went_live", acks_late=True, ignore_result=True)
def on_went_live(tenant_id: int, payload: dict) -> int | None:
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return None
        return survey_services.post_implementation_for_go_live(payload=payload)


@shared_task(name="advocacy.send_due_surveys_all_tenants", acks_late=True, ignore_result=True)
def send_due_surveys_all_tenants() -> int:
    return fan_out(send_due_surveys, expires=SEND_DUE_EXPIRES)


@shared_task(name="advocacy.send_due_surveys", acks_late=True, ignore_result=True)
def send_due_surveys(tenant_id: int) -> dict | None:
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return None
        return survey_services.surveys_send_due()
