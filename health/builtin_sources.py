"""The built-in scorecard sources: product usage, engagement (timeline), relationship (contacts),
the CSM's sentiment and time to value.

Each family is one aggregate SQL query over all the tenant's accounts, memoised for the
duration of a recompute, so every usage measure of a scorecard shares a single scan of the
usage table (the windows the scorecard needs are planned up front: ``usage_windows``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from accounts.models import Account, Activity, ActivityKind, Contact
from core.registries.health import memoized, moment_for, plan_hint, register_account_fact, register_source
from health.models import Sentiment, UsageRecord
from health.sql import account_filter, frame_by_account

TOUCH_KINDS = (ActivityKind.NOTE, ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.EMAIL, ActivityKind.QBR)
MEETING_KINDS = (ActivityKind.MEETING, ActivityKind.QBR)
TOUCH_LOOKBACK_DAYS = 365


def _ids_key(account_ids: list[int] | None) -> tuple | None:
    return None if account_ids is None else tuple(sorted(account_ids))


# --- Product usage ----------------------------------------------------------------------------


def usage_summary(tenant, account_ids: list[int] | None, as_of: date, window_days: int) -> pd.DataFrame:
    """Per account, for ``window_days`` (the days before ``as_of``) and the same span before it.

    Columns (suffix ``_<window>``): ``au_cur``/``au_prev`` (active user-days), ``au_days`` (days reported),
    ``seats_cur``/``seats_prev`` (max licensed seats), ``logins_cur``, ``api_cur``/``api_prev``,
    ``features`` (distinct ``feature:*`` metrics used). Every window planned for this recompute comes
    from the same single scan.
    """
    windows = tuple(sorted(set(plan_hint("usage_windows", ())) | {window_days}))
    frame = memoized(
        ("usage", tenant.pk, _ids_key(account_ids), as_of, windows),
        lambda: _usage_query(tenant, account_ids, as_of, windows),
    )
    return frame


def _usage_query(tenant, account_ids: list[int] | None, as_of: date, windows: tuple[int, ...]) -> pd.DataFrame:
    """One scan grouped by account (and by feature metric for ``feature:*`` rows only): hashing on the
    account id rather than (account, metric) halves the aggregation's cost on big tenants."""
    params: dict = {"tenant": tenant.pk, "end": as_of, "start": as_of - timedelta(days=2 * max(windows))}
    inner, outer = [], []
    for w in windows:
        params[f"c{w}"] = as_of - timedelta(days=w)
        params[f"p{w}"] = as_of - timedelta(days=2 * w)
        cur, prev = f"date >= %(c{w})s", f"date >= %(p{w})s AND date < %(c{w})s"
        for name, aggregate, metric, period in (
            ("au_cur", "SUM(value)", "active_users", cur), ("au_days", "COUNT(*)", "active_users", cur),
            ("au_prev", "SUM(value)", "active_users", prev), ("seats_cur", "MAX(value)", "licensed_seats", cur),
            ("seats_prev", "MAX(value)", "licensed_seats", prev), ("logins_cur", "SUM(value)", "logins", cur),
            ("api_cur", "SUM(value)", "api_calls", cur), ("api_prev", "SUM(value)", "api_calls", prev),
        ):
            inner.append(f"{aggregate} FILTER (WHERE metric = '{metric}' AND {period}) AS {name}_{w}")
            outer.append(f"MAX({name}_{w}) AS {name}_{w}")
        inner.append(f"SUM(value) FILTER (WHERE {cur}) AS any_cur_{w}")
        outer.append(f"COUNT(*) FILTER (WHERE feature IS NOT NULL AND any_cur_{w} > 0) AS features_{w}")
    sql = f"""
        WITH per_key AS (
            SELECT account_id, CASE WHEN metric LIKE 'feature:%%' THEN metric END AS feature, {", ".join(inner)}
            FROM {UsageRecord._meta.db_table}
            WHERE tenant_id = %(tenant)s AND date >= %(start)s AND date < %(end)s
              {account_filter("account_id", account_ids, params)}
            GROUP BY 1, 2
        )
        SELECT account_id, {", ".join(outer)} FROM per_key GROUP BY account_id
    """
    return frame_by_account(sql, params).astype("float64")


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(np.nan, index=frame.index)


def _change_percent(current: pd.Series, previous: pd.Series) -> pd.Series:
    """% change of current vs previous; no baseline (missing or 0) is no data; no current data is 0."""
    baseline = previous.where(previous > 0)
    return (current.fillna(0.0) - baseline) / baseline * 100.0


def seat_utilisation(tenant, account_ids, as_of, window_days=30) -> pd.Series:
    frame = usage_summary(tenant, account_ids, as_of, window_days)
    w = window_days
    average_active = _col(frame, f"au_cur_{w}") / _col(frame, f"au_days_{w}").where(lambda d: d > 0)
    seats = _col(frame, f"seats_cur_{w}").where(lambda s: s > 0)
    return average_active / seats


def seat_utilisation_floor(tenant, account_ids, as_of, window_days=14) -> pd.Series:
    """The lowest daily seat utilisation (that day's active users / licensed seats, the window's highest seats
    on a day without a seats report) over the ``window_days`` days before ``as_of``, for the accounts that
    reported active users on every one of those days (else no data). Above a threshold means above it on
    each day, not on average (the "seats nearly full" expansion trigger). One aggregate query."""
    params: dict = {"tenant": tenant.pk, "start": as_of - timedelta(days=window_days), "end": as_of,
                    "days": window_days}
    sql = f"""
        WITH daily AS (
            SELECT account_id, date,
                   SUM(value) FILTER (WHERE metric = 'active_users') AS active,
                   MAX(value) FILTER (WHERE metric = 'licensed_seats') AS seats
            FROM {UsageRecord._meta.db_table}
            WHERE tenant_id = %(tenant)s AND date >= %(start)s AND date < %(end)s
              AND metric IN ('active_users', 'licensed_seats') {account_filter("account_id", account_ids, params)}
            GROUP BY account_id, date
        ), ratios AS (
            SELECT account_id, active / NULLIF(COALESCE(seats, MAX(seats) OVER (PARTITION BY account_id)), 0) AS ratio
            FROM daily
        )
        SELECT account_id, MIN(ratio) AS value FROM ratios
        GROUP BY account_id HAVING COUNT(ratio) = %(days)s
    """
    return frame_by_account(sql, params)["value"].astype("float64")


def usage_trend(tenant, account_ids, as_of, window_days=30) -> pd.Series:
    frame = usage_summary(tenant, account_ids, as_of, window_days)
    return _change_percent(_col(frame, f"au_cur_{window_days}"), _col(frame, f"au_prev_{window_days}"))


def api_calls_trend(tenant, account_ids, as_of, window_days=30) -> pd.Series:
    frame = usage_summary(tenant, account_ids, as_of, window_days)
    return _change_percent(_col(frame, f"api_cur_{window_days}"), _col(frame, f"api_prev_{window_days}"))


def logins_per_user(tenant, account_ids, as_of, window_days=30) -> pd.Series:
    """Logins per active user per week over the window."""
    frame = usage_summary(tenant, account_ids, as_of, window_days)
    w = window_days
    average_active = (_col(frame, f"au_cur_{w}") / _col(frame, f"au_days_{w}").where(lambda d: d > 0)).where(
        lambda a: a > 0
    )
    return _col(frame, f"logins_cur_{w}") / average_active * 7.0 / w


def feature_adoption(tenant, account_ids, as_of, window_days=30) -> pd.Series:
    """Distinct ``feature:*`` metrics used (value > 0) in the window, for accounts reporting usage."""
    frame = usage_summary(tenant, account_ids, as_of, window_days)
    return _col(frame, f"features_{window_days}")


def seat_growth(tenant, account_ids, as_of, window_days=30) -> pd.Series:
    frame = usage_summary(tenant, account_ids, as_of, window_days)
    return _change_percent(_col(frame, f"seats_cur_{window_days}"), _col(frame, f"seats_prev_{window_days}"))


# --- Engagement (the timeline) ------------------------------------------------------------------


def engagement_summary(tenant, account_ids: list[int] | None, as_of: date, window_days: int) -> pd.DataFrame:
    """Per account: ``days_since_touch`` (since the last note/call/meeting/email/QBR, or since the
    account was created, capped at a year) and ``meetings`` (meetings and QBRs in the window)."""
    return memoized(
        ("engagement", tenant.pk, _ids_key(account_ids), as_of, window_days),
        lambda: _engagement_query(tenant, account_ids, as_of, window_days),
    )


def _engagement_query(tenant, account_ids, as_of: date, window_days: int) -> pd.DataFrame:
    moment = moment_for(tenant, as_of)
    params = {
        "tenant": tenant.pk, "tz": tenant.timezone, "as_of": as_of, "moment": moment,
        "lookback": moment - timedelta(days=TOUCH_LOOKBACK_DAYS),
        "window_start": datetime.combine(as_of - timedelta(days=window_days), time.min, tenant.tzinfo),
        "touch": list(TOUCH_KINDS), "meeting": list(MEETING_KINDS), "cap": TOUCH_LOOKBACK_DAYS,
    }
    sql = f"""
        WITH touches AS (
            SELECT account_id,
                   MAX(occurred_at) FILTER (WHERE kind = ANY(%(touch)s)) AS last_touch,
                   COUNT(*) FILTER (WHERE kind = ANY(%(meeting)s) AND occurred_at >= %(window_start)s) AS meetings
            FROM {Activity._meta.db_table}
            WHERE tenant_id = %(tenant)s AND occurred_at >= %(lookback)s AND occurred_at <= %(moment)s
              AND kind = ANY(%(touch)s) {account_filter("account_id", account_ids, params)}
            GROUP BY account_id
        )
        SELECT a.id AS account_id,
               LEAST(%(cap)s, GREATEST(0, %(as_of)s::date - (COALESCE(t.last_touch, a.created_at)
                     AT TIME ZONE %(tz)s)::date)) AS days_since_touch,
               COALESCE(t.meetings, 0) AS meetings
        FROM {Account._meta.db_table} a LEFT JOIN touches t ON t.account_id = a.id
        WHERE a.tenant_id = %(tenant)s {account_filter("a.id", account_ids, params)}
    """
    return frame_by_account(sql, params).astype("float64")


def days_since_last_touch(tenant, account_ids, as_of) -> pd.Series:
    return engagement_summary(tenant, account_ids, as_of, 90)["days_since_touch"]


def meetings(tenant, account_ids, as_of, window_days=90) -> pd.Series:
    return engagement_summary(tenant, account_ids, as_of, window_days)["meetings"]


# --- Relationship (contacts) ------------------------------------------------------------------


def relationship_summary(tenant, account_ids: list[int] | None) -> pd.DataFrame:
    """Per account with contacts: ``champion`` and ``sponsor`` (1 when one is in place and has not left)."""
    return memoized(("relationship", tenant.pk, _ids_key(account_ids)), lambda: _relationship_query(tenant, account_ids))


def _relationship_query(tenant, account_ids) -> pd.DataFrame:
    params = {"tenant": tenant.pk}
    sql = f"""
        SELECT account_id,
               BOOL_OR(is_champion AND NOT left_company)::int AS champion,
               BOOL_OR(is_executive_sponsor AND NOT left_company)::int AS sponsor
        FROM {Contact._meta.db_table}
        WHERE tenant_id = %(tenant)s {account_filter("account_id", account_ids, params)}
        GROUP BY account_id
    """
    return frame_by_account(sql, params).astype("float64")


def champion_present(tenant, account_ids, as_of) -> pd.Series:
    return relationship_summary(tenant, account_ids)["champion"]


def executive_sponsor(tenant, account_ids, as_of) -> pd.Series:
    return relationship_summary(tenant, account_ids)["sponsor"]


# --- Manual and outcome sources -------------------------------------------------------------------


def csm_sentiment(tenant, account_ids, as_of) -> pd.Series:
    """The latest unexpired CSM sentiment (1-5) per account."""
    params = {"tenant": tenant.pk, "moment": moment_for(tenant, as_of)}
    sql = f"""
        SELECT DISTINCT ON (account_id) account_id, score::float AS value
        FROM {Sentiment._meta.db_table}
        WHERE tenant_id = %(tenant)s AND expires_at > %(moment)s AND created_at <= %(moment)s
              {account_filter("account_id", account_ids, params)}
        ORDER BY account_id, created_at DESC, id DESC
    """
    return frame_by_account(sql, params)["value"].astype("float64")


def time_to_value_days(tenant, account_ids, as_of) -> pd.Series:
    """Days from the start to first value (written by onboarding)."""
    params = {"tenant": tenant.pk}
    sql = f"""
        SELECT id AS account_id, time_to_value_days::float AS value FROM {Account._meta.db_table}
        WHERE tenant_id = %(tenant)s AND time_to_value_days IS NOT NULL {account_filter("id", account_ids, params)}
    """
    return frame_by_account(sql, params)["value"].astype("float64")


def linear(zero_at: float, full_at: float) -> dict:
    return {"type": "linear", "zero_at": zero_at, "full_at": full_at}


def ranges(*pairs: tuple[float | None, float]) -> dict:
    return {"type": "ranges", "ranges": [{"min": low, "score": score} for low, score in pairs]}


def licensed_seats_sql() -> str:
    """The ``licensed_seats`` account fact: each account's latest reported licensed seats, within 180 days
    on or before ``as_of`` (tickets per seat joins it)."""
    return f"""
        SELECT DISTINCT ON (account_id) account_id, value FROM {UsageRecord._meta.db_table}
        WHERE tenant_id = %(tenant)s AND metric = 'licensed_seats' AND date <= %(as_of)s
          AND date > %(as_of)s - 180
        ORDER BY account_id, date DESC
    """


def register_builtin_sources() -> None:
    register_account_fact("licensed_seats", licensed_seats_sql())
    usage = {"category": "usage", "window_days": 30}
    register_source("seat_utilisation", "Seat utilisation", seat_utilisation, "ratio", linear(0.2, 0.85),
                    description="Average daily active users / licensed seats over the window.", **usage)
    register_source("seat_utilisation_floor", "Lowest daily seat utilisation", seat_utilisation_floor, "ratio",
                    linear(0.2, 0.85), category="usage", window_days=14,
                    description="The lowest of the window's daily active users / licensed seats; no data unless "
                                "every day of the window reported active users.")
    register_source("usage_trend", "Usage trend", usage_trend, "percent_change", linear(-40, 10),
                    description="Active user-days in the window vs the same span before, in %.", **usage)
    register_source("logins_per_user", "Logins per active user", logins_per_user, "per_user", linear(0.5, 5),
                    description="Logins per active user per week over the window.", **usage)
    register_source("feature_adoption", "Feature adoption breadth", feature_adoption, "count", linear(0, 6),
                    description="Distinct feature:* metrics used in the window.", **usage)
    register_source("api_calls_trend", "API calls trend", api_calls_trend, "percent_change", linear(-50, 10),
                    description="API calls in the window vs the same span before, in %.", **usage)
    register_source("seat_growth", "Seat growth", seat_growth, "percent_change",
                    ranges((10, 100), (0, 70), (-10, 40), (None, 0)),
                    description="Licensed seats now vs the span before, in %.", **usage)
    register_source("days_since_last_touch", "Days since last touch", days_since_last_touch, "days", linear(60, 7),
                    description="Days since the last note, call, meeting, email or QBR on the timeline.",
                    category="engagement")
    register_source("meetings", "Meetings and QBRs", meetings, "count", ranges((3, 100), (2, 80), (1, 50), (None, 0)),
                    window_days=90, fill_missing=0, category="engagement",
                    description="Meetings and QBRs on the timeline in the window.")
    register_source("champion_present", "Champion in place", champion_present, "bool", ranges((1, 100), (None, 0)),
                    fill_missing=0, category="relationship",
                    description="A contact marked champion who has not left the company.")
    register_source("executive_sponsor", "Executive sponsor", executive_sponsor, "bool", ranges((1, 100), (None, 0)),
                    fill_missing=0, category="relationship",
                    description="A contact marked executive sponsor who has not left the company.")
    register_source("csm_sentiment", "CSM sentiment", csm_sentiment, "score", linear(1, 5), category="manual",
                    description="The CSM's latest unexpired read of the account, 1 (very negative) to 5.")
    register_source("time_to_value_days", "Time to value", time_to_value_days, "days", linear(120, 30),
                    category="outcomes", description="Days from the start of onboarding to first value.")
