"""The ``survey.response_received`` event (core.registries.events), published by
``response_services.response_record`` inside its transaction (the API and the public survey page both record
through it): ``category`` is the NPS category (promoter, passive, detractor), null for CSAT."""

from __future__ import annotations

from advocacy.models import SurveyResponse
from core.registries.events import publish

RESPONSE_RECEIVED = "survey.response_received"


def publish_received(response: SurveyResponse, *, account_name: str) -> None:
    publish(RESPONSE_RECEIVED, tenant_id=response.tenant_id, payload={
        "response_id": response.pk, "account_id": response.account_id, "account_name": account_name,
        "contact_id": response.contact_id, "kind": response.kind, "score": response.score,
        "category": response.category, "comment": response.comment, "responded_at": response.responded_at.isoformat(),
    })
