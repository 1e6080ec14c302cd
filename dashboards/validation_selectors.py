"""The observations behind score validation: one per closed renewal of the current tenant, with the health
the account had ``LEAD_DAYS`` before the outcome (one query, one index probe per renewal), computed now or
as the daily full refresh materialised them (``dashboards.validation_refresh``). The page has the database count them (``score_validation``: one
query, whatever the number of outcomes) and lists only the most recent churned-while-green ones.

The outcome instant is the earlier of when it was recorded (``closed_at``) and the contract end; the health
then is the account's latest snapshot at or before that instant minus ``LEAD_DAYS``, provided it is at most
``STALE_DAYS`` older still (else the account counts as not scored then). Dates are UTC (Django's
connections run in UTC)."""

from __future__ import annotations

import pandas as pd
from django.db import connection

from dashboards.models import OutcomeObservation
from dashboards.score_validation import LOST_OUTCOMES, Cell, Observation, Validation, summarise
from health.selectors import raw_extracts, scorecard_get
from tenancy.context import get_current_tenant

LEAD_DAYS = 90
STALE_DAYS = 30

_OBSERVATIONS = """
SELECT r.account_id, a.name, r.outcome, o.at::date, s.score, s.status, s.found IS NOT NULL{columns}
FROM renewals_renewal r
JOIN accounts_account a ON a.id = r.account_id AND a.tenant_id = %(tenant)s
CROSS JOIN LATERAL (
    SELECT LEAST(COALESCE(r.closed_at, r.contract_end::timestamptz), r.contract_end::timestamptz) AS at
) o
LEFT JOIN LATERAL (
    SELECT true AS found, hs.score, hs.status{extracts} FROM health_healthsnapshot hs
    WHERE hs.tenant_id = %(tenant)s AND hs.account_id = r.account_id
      AND hs.computed_at <= o.at - make_interval(days => %(lead)s)
      AND hs.computed_at > o.at - make_interval(days => %(lead)s + %(stale)s)
    ORDER BY hs.computed_at DESC LIMIT 1
) s ON true
WHERE r.tenant_id = %(tenant)s AND r.outcome IS NOT NULL
"""

# The observations query's columns, named as ``OutcomeObservation``'s (plus ``found``), without raw measures.
OBSERVATION_COLUMNS = "account_id, account_name, outcome, outcome_on, score, band, found"
OBSERVATIONS_PLAIN = _OBSERVATIONS.format(columns="", extracts="")

# The figures' counts (one row per band x score x lost-or-kept: at most a few thousand, whatever the number of
# outcomes) and the most recent churned-while-top observations, in one statement so that the live source
# (the snapshot probes) runs once. The names sort by code point, as Python sorts them.
_FIGURES = """
WITH obs AS MATERIALIZED ({source}),
counted AS (
    SELECT band, score, outcome = ANY(%(lost)s) AS lost, count(*) AS n FROM obs GROUP BY 1, 2, 3
),
churned AS (
    SELECT account_id, account_name, outcome, outcome_on, score, band FROM obs
    WHERE outcome = ANY(%(lost)s) AND band = %(top)s
    ORDER BY outcome_on DESC, account_name COLLATE "C" DESC LIMIT %(limit)s
)
SELECT 'cell', band, score, lost, n, NULL::bigint, NULL, NULL, NULL::date FROM counted
UNION ALL
SELECT 'churned', band, score, true, 1, account_id, account_name, outcome, outcome_on FROM churned
"""
_MATERIALISED = """
SELECT account_id, account_name, outcome, outcome_on, score, band FROM dashboards_outcomeobservation
WHERE tenant_id = %(tenant)s
"""
_LIVE = f"SELECT * FROM ({OBSERVATIONS_PLAIN}) AS live({OBSERVATION_COLUMNS})"


def _float(value) -> float | None:
    return None if value is None else float(value)


def observation_rows(*, paths: dict[str, list[str]] | None = None, lead_days: int = LEAD_DAYS,
                     stale_days: int = STALE_DAYS) -> tuple[list[Observation], pd.DataFrame]:
    """The observations and, per observation (same order), whether a snapshot was found then (``found``) and
    the raw measure values it stored at ``paths`` (columns named as the paths' keys), for a replay."""
    params = {"tenant": get_current_tenant().pk, "lead": lead_days, "stale": stale_days}
    extracts, columns = raw_extracts(paths or {}, params)
    with connection.cursor() as cursor:
        cursor.execute(_OBSERVATIONS.format(columns=columns, extracts=extracts), params)
        rows = cursor.fetchall()
    observations = [Observation(account_id=row[0], account_name=row[1], outcome=row[2], outcome_on=row[3],
                                score=None if row[4] is None else float(row[4]), band=row[5]) for row in rows]
    raw = pd.DataFrame([row[6:] for row in rows], columns=["found", *(paths or {})], dtype=object)
    return observations, raw


def outcome_observations(*, lead_days: int = LEAD_DAYS, stale_days: int = STALE_DAYS) -> list[Observation]:
    return observation_rows(lead_days=lead_days, stale_days=stale_days)[0]


def materialised_observations() -> list[Observation]:
    """The observations as the last full refresh wrote them (``OutcomeObservation``): one query."""
    rows = OutcomeObservation.objects.values_list("account_id", "account_name", "outcome", "outcome_on", "score", "band")
    return [Observation(account_id=account_id, account_name=name, outcome=outcome, outcome_on=on,
                        score=None if score is None else float(score), band=band)
            for account_id, name, outcome, on, score, band in rows]


def score_validation(*, materialised: bool = False, churned_limit: int | None = None) -> Validation:
    """The validation figures of the current tenant under its current scorecard's bands (two queries): counted
    by the database over the observations the last full refresh wrote, or computed now; the churned-while-top
    list holds the ``churned_limit`` most recent (all when None), ``churned_while_top_total`` says how many."""
    bands = scorecard_get().bands
    params = {"tenant": get_current_tenant().pk, "lead": LEAD_DAYS, "stale": STALE_DAYS, "lost": sorted(LOST_OUTCOMES),
              "top": bands[0]["key"] if bands else None, "limit": churned_limit}
    with connection.cursor() as cursor:
        cursor.execute(_FIGURES.format(source=_MATERIALISED if materialised else _LIVE), params)
        rows = cursor.fetchall()
    counted = [Cell(band=band, score=_float(score), lost=lost, count=n)
               for kind, band, score, lost, n, *_ in rows if kind == "cell"]
    churned = sorted((Observation(account_id=account_id, account_name=name, outcome=outcome, outcome_on=on,
                                  score=_float(score), band=band)
                      for kind, band, score, _, _, account_id, name, outcome, on in rows if kind == "churned"),
                     key=lambda obs: (str(obs.outcome_on), obs.account_name), reverse=True)
    return summarise(counted, bands, churned_while_top=churned)
