"""The public survey pages, reached by a signed link from the email: no sign-in, no session needed.

``/s/<token>/``: the question(s) and a form; POST records the answer once (``response_record_for_send``);
a second visit shows the answer recorded, and a second POST changes nothing. ``/s/<token>/unsubscribe/``:
GET asks to confirm (mail scanners follow links; a GET changes nothing), POST unsubscribes.

A tampered or unknown token, or one naming another tenant's send, is the 404 page; an expired one a 410
page that says so. Never a 500. The form carries Django's CSRF token, which Django sets for anonymous
visitors too (a cookie, no session).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from advocacy import response_services, survey_links, survey_services
from advocacy.models import SurveyKind, SurveySend
from advocacy.models.responses import SCORE_RANGES
from base.errors import DomainError
from tenancy.context import tenant_context


def _refused(request: HttpRequest, error: Exception) -> HttpResponse:
    expired = isinstance(error, survey_links.LinkExpired)
    return render(request, "advocacy/public/link_refused.html", {"expired": expired}, status=410 if expired else 404)


def _scores(send: SurveySend) -> range:
    low, high = SCORE_RANGES[SurveyKind(send.survey.kind)]
    return range(low, high + 1)


def _parse_score(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


@never_cache
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    try:
        send = survey_links.read_token(token)
    except (survey_links.LinkInvalid, survey_links.LinkExpired) as error:
        return _refused(request, error)
    context = {"send": send, "survey": send.survey, "tenant_name": send.tenant.name, "scores": _scores(send),
               "token": token}
    status = 200
    if send.response_id is None and request.method == "POST":
        score, comment = _parse_score(request.POST.get("score")), request.POST.get("comment", "")
        try:
            with tenant_context(send.tenant):
                response, _ = response_services.response_record_for_send(send=send, score=score, comment=comment)
            send.response, send.response_id = response, response.pk
            context["just_recorded"] = True
        except DomainError as error:
            context.update(error=str(error), error_field=error.field or "score", comment=comment[:5000])
            status = 400
    elif send.response_id is None:
        context["preselected"] = _parse_score(request.GET.get("score"))
    context["response"] = send.response if send.response_id else None
    return render(request, "advocacy/public/respond.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        send = survey_links.read_token(token, salt=survey_links.UNSUBSCRIBE_SALT)
    except (survey_links.LinkInvalid, survey_links.LinkExpired) as error:
        return _refused(request, error)
    done = False
    if request.method == "POST":
        with tenant_context(send.tenant):
            survey_services.unsubscribe(send=send)
        done = True
    return render(request, "advocacy/public/unsubscribe.html",
                  {"send": send, "tenant_name": send.tenant.name, "done": done, "token": token})
