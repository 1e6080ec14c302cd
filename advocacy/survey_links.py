"""The signed links of a survey email: answer (``/s/<token>/``) and unsubscribe (``/s/<token>/unsubscribe/``).

A token is ``django.core.signing.dumps`` of ``{"t": tenant id, "s": send id, "k": the send's token id}``
with a salt per purpose (an answer token never unsubscribes, nor the reverse), timestamped. Reading it:

* a token that does not verify (tampered, another salt, garbage) -> :class:`LinkInvalid` (404);
* one that verifies but is older than the tenant's ``link_max_age_days`` -> :class:`LinkExpired` (410);
* one whose send does not exist in that tenant, or whose token id differs -> :class:`LinkInvalid`.

Single use is the send's state, not the token's: once answered, the page shows the answer recorded and a
resubmission changes nothing (``response_services.response_record_for_send``).
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing
from django.urls import reverse

from advocacy.models import AdvocacySettings, SurveySend

RESPOND_SALT = "advocacy.survey.respond"
UNSUBSCRIBE_SALT = "advocacy.survey.unsubscribe"
DEFAULT_MAX_AGE_DAYS = 30


class LinkInvalid(Exception):
    pass


class LinkExpired(Exception):
    pass


def make_token(send: SurveySend, *, salt: str = RESPOND_SALT) -> str:
    return signing.dumps({"t": send.tenant_id, "s": send.pk, "k": send.token_id.hex}, salt=salt, compress=True)


def respond_path(send: SurveySend) -> str:
    return reverse("survey_respond", kwargs={"token": make_token(send)})


def unsubscribe_path(send: SurveySend) -> str:
    return reverse("survey_unsubscribe", kwargs={"token": make_token(send, salt=UNSUBSCRIBE_SALT)})


def read_token(token: str, *, salt: str = RESPOND_SALT) -> SurveySend:
    """The send a token points at (with its survey, account, contact and tenant), or LinkInvalid / LinkExpired."""
    try:
        payload = signing.loads(token, salt=salt)
        tenant_id, send_id, key = int(payload["t"]), int(payload["s"]), str(payload["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid from None
    send = (
        SurveySend.all_tenants.select_related("survey", "account", "contact", "tenant", "response")
        .filter(pk=send_id, tenant_id=tenant_id).first()
    )
    if send is None or send.token_id.hex != key:
        raise LinkInvalid
    max_age = (
        AdvocacySettings.all_tenants.filter(tenant_id=tenant_id).values_list("link_max_age_days", flat=True).first()
        or DEFAULT_MAX_AGE_DAYS
    )
    try:
        signing.loads(token, salt=salt, max_age=timedelta(days=max_age))
    except signing.SignatureExpired:
        raise LinkExpired from None
    return send
