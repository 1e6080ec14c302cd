"""Reads of surveys and responses: the metrics (one aggregate statement each, whatever the number of
responses), the API's lists, the settings with their defaults, the trend and the account's history.

A window is ``start``..``end`` inclusive, in the tenant's local dates: responses whose ``responded_at``
falls on or after ``start`` 00:00 and before ``end + 1 day`` 00:00 in the tenant's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Q, QuerySet

from accounts.models import Account
from advocacy import nps as math
from advocacy.models import AdvocacySettings, Survey, SurveyKind, SurveyResponse, SurveySend
from tenancy.context import get_current_tenant

DEFAULT_POST_IMPLEMENTATION_DAYS = (30, 60, 90)


@dataclass(frozen=True)
class Window:
    start: date
    end: date

    def bounds(self, tz) -> tuple[datetime, datetime]:
        return (datetime.combine(self.start, time.min, tz), datetime.combine(self.end + timedelta(days=1), time.min, tz))


_SEGMENT_SQL = "AND EXISTS (SELECT 1 FROM {account} a WHERE a.id = r.account_id AND a.segment = %(segment)s)"
_SEND_SEGMENT_SQL = "AND EXISTS (SELECT 1 FROM {account} a WHERE a.id = s.account_id AND a.segment = %(segment)s)"

_METRIC_SQL = """
SELECT answers.*, sends.* FROM (
    SELECT COUNT(*),
           COUNT(*) FILTER (WHERE r.score >= {promoter}),
           COUNT(*) FILTER (WHERE r.score >= {passive} AND r.score < {promoter}),
           COUNT(*) FILTER (WHERE r.score < {passive}),
           COALESCE(SUM(r.score), 0),
           COUNT(*) FILTER (WHERE r.score >= {satisfied})
    FROM {response} r
    WHERE r.tenant_id = %(tenant)s AND r.kind = %(kind)s AND r.responded_at >= %(since)s AND r.responded_at < %(until)s
      {segment}
) answers CROSS JOIN (  -- the window's sends, and those answered, in one pass
    SELECT COUNT(*), COUNT(*) FILTER (WHERE s.response_id IS NOT NULL)
    FROM {send} s JOIN {survey} v ON v.id = s.survey_id
    WHERE s.tenant_id = %(tenant)s AND v.kind = %(kind)s AND s.sent_at >= %(since)s AND s.sent_at < %(until)s
      {send_segment}
) sends
"""


@dataclass(frozen=True)
class MetricRow:
    nps: math.NpsCounts
    csat: math.CsatCounts
    sent: int
    answered: int


def metric_counts(*, kind: str, window: Window, segment: str | None = None) -> MetricRow:
    """Every count of the NPS or CSAT metric (and the response rate) of one window: one statement."""
    tenant = get_current_tenant()
    since, until = window.bounds(tenant.tzinfo)
    account = Account._meta.db_table
    sql = _METRIC_SQL.format(
        promoter=math.PROMOTER_MIN, passive=math.PASSIVE_MIN, satisfied=math.CSAT_SATISFIED_MIN,
        response=SurveyResponse._meta.db_table, send=SurveySend._meta.db_table, survey=Survey._meta.db_table,
        segment=_SEGMENT_SQL.format(account=account) if segment else "",
        send_segment=_SEND_SEGMENT_SQL.format(account=account) if segment else "",
    )
    params = {"tenant": tenant.pk, "kind": kind, "since": since, "until": until, "segment": segment}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        responses, promoters, passives, detractors, total, satisfied, sent, answered = cursor.fetchone()
    return MetricRow(
        nps=math.NpsCounts(responses, promoters, passives, detractors) if kind == SurveyKind.NPS else math.NpsCounts(),
        csat=math.CsatCounts(responses, total, satisfied) if kind == SurveyKind.CSAT else math.CsatCounts(),
        sent=sent, answered=answered,
    )


def nps_metric(*, window: Window, segment: str | None = None) -> dict:
    row = metric_counts(kind=SurveyKind.NPS, window=window, segment=segment)
    return {**math.nps_result(row.nps), "response_rate": math.response_rate(row.answered, row.sent)}


def csat_metric(*, window: Window, segment: str | None = None) -> dict:
    row = metric_counts(kind=SurveyKind.CSAT, window=window, segment=segment)
    return {**math.csat_result(row.csat), "response_rate": math.response_rate(row.answered, row.sent)}


def segment_keys() -> list[str]:
    return list(get_current_tenant().segment_labels())


# --- lists -------------------------------------------------------------------------------------------


def responses_for_api() -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.order_by("-responded_at", "-id")


def responses_filtered(
    *, account_id: int | None = None, kind: str | None = None, category: str | None = None,
    segment: str | None = None, since: datetime | None = None, until: datetime | None = None,
) -> QuerySet[SurveyResponse]:
    """Responses matching the filters (the responses page and the API); ``category`` is promoter / passive /
    detractor (NPS only)."""
    rows = responses_for_api()
    if account_id is not None:
        rows = rows.filter(account_id=account_id)
    if kind:
        rows = rows.filter(kind=kind)
    if category:
        bounds = {"promoter": (math.PROMOTER_MIN, 10), "passive": (math.PASSIVE_MIN, math.PROMOTER_MIN - 1),
                  "detractor": (0, math.DETRACTOR_MAX)}[category]
        rows = rows.filter(kind=SurveyKind.NPS, score__gte=bounds[0], score__lte=bounds[1])
    if segment:
        rows = rows.filter(account__segment=segment)
    if since is not None:
        rows = rows.filter(responded_at__gte=since)
    if until is not None:
        rows = rows.filter(responded_at__lt=until)
    return rows


def settings_for() -> AdvocacySettings:
    """The tenant's survey settings (an unsaved row of defaults when it has none)."""
    found = AdvocacySettings.objects.first()
    return found or AdvocacySettings(tenant=get_current_tenant())


def post_implementation_days(settings: AdvocacySettings) -> tuple[int, ...]:
    return tuple(sorted({int(d) for d in settings.post_implementation_days if int(d) > 0})) or DEFAULT_POST_IMPLEMENTATION_DAYS


# --- campaigns ---------------------------------------------------------------------------------------------


def campaign_list() -> list[Survey]:
    """Every campaign with its answered count and response rate (one query)."""
    rows = list(
        Survey.objects.annotate(answered=Count("sends", filter=Q(sends__response__isnull=False)))
        .order_by("automatic", "-created_at", "-id")
    )
    for survey in rows:
        survey.response_rate = math.response_rate(survey.answered, survey.sent_count)
    return rows


def campaign_stats(survey: Survey) -> dict:
    """Sends by status and the response rate of one campaign (one query)."""
    counts = SurveySend.objects.filter(survey=survey).aggregate(
        pending=Count("pk", filter=Q(status="pending")), sent=Count("pk", filter=Q(status="sent")),
        skipped=Count("pk", filter=Q(status="skipped")), failed=Count("pk", filter=Q(status="failed")),
        answered=Count("pk", filter=Q(response__isnull=False)),
    )
    return {**counts, "response_rate": math.response_rate(counts["answered"], counts["sent"])}
