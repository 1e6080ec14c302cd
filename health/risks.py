"""Early-warning risk rules, evaluated set-based after every recompute.

A rule looks at all the recomputed accounts at once and answers, per account, a reason in words
when its condition holds. The engine opens one CTA per (rule, account) for the account's CSM
(dedupe key ``risk:<rule>:<account_id>``, source ``risk``) and closes it once the condition clears.

Rules live in the registry ``core.registries.health`` (``register_risk_rule``), where other apps add
theirs from their ``AppConfig.ready()`` without importing health; the built-in ones are registered below.

Thresholds are tenant settings (``tenant.settings["health_risks"][rule_key]``, with ``enabled``),
edited on the scorecard settings page and via ``/api/v1/health/risk-rules/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from accounts.models import Account, Activity, Contact, Task, TaskPriority, TaskSource, TaskStatus
from accounts.services import cta_open_bulk, task_open_once, tasks_close_by_key
from core.registries.health import RiskContext, RiskRule, all_rules, get_rule, register_risk_rule
from health.builtin_sources import TOUCH_KINDS
from health.models import HealthSnapshot
from health.scoring import band_rank
from health.sql import account_filter, frame_by_account

SETTINGS_KEY = "health_risks"
KEY_PREFIX = "risk:"
BULK_OPEN_THRESHOLD = 25


def dedupe_key(rule_key: str, account_id: int) -> str:
    return f"{KEY_PREFIX}{rule_key}:{account_id}"


def rule_settings(tenant) -> dict[str, dict]:
    """Every registered rule's effective settings for the tenant: ``{"enabled": bool, **params}``."""
    stored = (tenant.settings or {}).get(SETTINGS_KEY) or {}
    effective = {}
    for rule in all_rules():
        mine = stored.get(rule.key) or {}
        values = {"enabled": bool(mine.get("enabled", True))}
        for name, default in rule.params.items():
            value = mine.get(name, default)
            values[name] = value if isinstance(value, int | float) and not isinstance(value, bool) else default
        effective[rule.key] = values
    return effective


def validate_rule_settings(data: dict) -> dict[str, dict]:
    """Clean a settings payload (unknown rules and params refused). Raises ValueError with field errors."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, dict] = {}
    if not isinstance(data, dict):
        raise RiskSettingsInvalid({"non_field_errors": ["Send an object keyed by rule."]})
    for key, values in data.items():
        rule = get_rule(key)
        if rule is None:
            errors.setdefault(key, []).append("Unknown risk rule.")
            continue
        if not isinstance(values, dict):
            errors.setdefault(key, []).append("Send an object of enabled and thresholds.")
            continue
        item: dict = {}
        for name, value in values.items():
            if name == "enabled":
                if not isinstance(value, bool):
                    errors.setdefault(key, []).append("enabled must be true or false.")
                item["enabled"] = bool(value)
            elif name in rule.params:
                if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0 or value > 100000:
                    errors.setdefault(key, []).append(f"{name} must be a positive number.")
                else:
                    item[name] = int(value) if float(value).is_integer() else float(value)
            else:
                errors.setdefault(key, []).append(f"Unknown setting {name!r}.")
        cleaned[key] = item
    if errors:
        raise RiskSettingsInvalid(errors)
    return cleaned


class RiskSettingsInvalid(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(str(errors))
        self.errors = errors


@dataclass
class RiskOutcome:
    opened: int = 0
    closed: int = 0


def evaluate(ctx: RiskContext) -> RiskOutcome:
    """Run every rule for ``ctx``'s accounts; open new CTAs and close cleared ones (set-based)."""
    settings = rule_settings(ctx.tenant)
    evaluated = set(int(i) for i in ctx.account_index)
    open_keys = _open_risk_keys(ctx.account_ids)
    triggered: dict[str, tuple[RiskRule, int, str]] = {}
    for rule in all_rules():
        config = settings[rule.key]
        if not config["enabled"]:
            continue
        ctx.params = {k: v for k, v in config.items() if k != "enabled"}
        reasons = rule.fn(ctx)
        if reasons is None or len(reasons) == 0:
            continue
        reasons = pd.Series(reasons).dropna()
        for account_id, reason in reasons.items():
            account_id = int(account_id)
            if account_id in evaluated and reason:
                triggered[dedupe_key(rule.key, account_id)] = (rule, account_id, str(reason))
    # A tenant-wide run also closes the CTAs of accounts it no longer scores (churned): nothing re-checks them.
    tenant_wide = ctx.account_ids is None
    to_close = []
    for key in open_keys:
        rule_key, account_id = _parse_key(key)
        if (account_id in evaluated or tenant_wide) and get_rule(rule_key) is not None and key not in triggered:
            to_close.append(key)
    new = {key: value for key, value in triggered.items() if key not in open_keys}
    outcome = RiskOutcome(closed=tasks_close_by_key(dedupe_keys=to_close) if to_close else 0)
    outcome.opened = _open_tasks(ctx, new) if new else 0
    return outcome


def _parse_key(key: str) -> tuple[str, int]:
    _, rule_key, account_id = key.split(":", 2)
    try:
        return rule_key, int(account_id)
    except ValueError:
        return rule_key, -1


def _open_risk_keys(account_ids: list[int] | None) -> set[str]:
    qs = Task.objects.filter(status=TaskStatus.OPEN, source=TaskSource.RISK, dedupe_key__startswith=KEY_PREFIX)
    if account_ids is not None:
        qs = qs.filter(account_id__in=account_ids)
    return set(qs.values_list("dedupe_key", flat=True))


def _open_tasks(ctx: RiskContext, new: dict[str, tuple[RiskRule, int, str]]) -> int:
    """Open the new CTAs: a few (the usual hourly delta, a single-account recompute) through
    ``accounts.services.task_open_once``; many (a first run, a new rule) in bulk with the same meaning."""
    if len(new) > BULK_OPEN_THRESHOLD:
        return len(cta_open_bulk(ctas=_unsaved_ctas(ctx, new), moment=ctx.moment))
    accounts = Account.objects.select_related("csm").in_bulk([account_id for _, account_id, _ in new.values()])
    opened = 0
    for key, (rule, account_id, reason) in new.items():
        account = accounts[account_id]
        _, created = task_open_once(
            account=account, dedupe_key=key, title=rule.label, owner=account.csm,
            due_date=ctx.as_of + timedelta(days=rule.due_days), priority=rule.priority, source=TaskSource.RISK,
            description=reason,
        )
        opened += created
    return opened


def _unsaved_ctas(ctx: RiskContext, new: dict[str, tuple[RiskRule, int, str]]) -> list[Task]:
    """The new CTAs as unsaved rows for ``accounts.services.cta_open_bulk`` (owner: the account's CSM)."""
    ctas = []
    for key, (rule, account_id, reason) in new.items():
        csm_id = ctx.accounts.at[account_id, "csm_id"]
        ctas.append(Task(
            account_id=account_id, title=rule.label[:200], description=reason,
            owner_id=None if pd.isna(csm_id) else int(csm_id), due_date=ctx.as_of + timedelta(days=rule.due_days),
            priority=rule.priority, source=TaskSource.RISK, dedupe_key=key,
        ))
    return ctas


# --- Built-in rules ---------------------------------------------------------------------------


def _usage_drop(ctx: RiskContext) -> pd.Series:
    days, percent = int(ctx.params["days"]), float(ctx.params["percent"])
    trend = ctx.source("usage_trend", days)
    hit = trend[trend <= -percent]
    return hit.map(lambda change: f"Active usage down {abs(change):.0f}% over the last {days} days "
                                  f"compared with the {days} days before.")


def _band_drop(ctx: RiskContext) -> pd.Series:
    days = int(ctx.params["days"])
    cutoff = ctx.moment - timedelta(days=days)
    params = {"tenant": ctx.tenant.pk, "cutoff": cutoff}
    # The band ``days`` ago; for an account scored for less time than that, its first band in the window.
    sql = f"""
        SELECT a.id AS account_id, COALESCE(before.status, since.status) AS old_status
        FROM {Account._meta.db_table} a
        LEFT JOIN LATERAL (
            SELECT status FROM {HealthSnapshot._meta.db_table} h
            WHERE h.tenant_id = a.tenant_id AND h.account_id = a.id AND h.computed_at <= %(cutoff)s
            ORDER BY h.computed_at DESC LIMIT 1
        ) before ON true
        LEFT JOIN LATERAL (
            SELECT status FROM {HealthSnapshot._meta.db_table} h
            WHERE before.status IS NULL AND h.tenant_id = a.tenant_id AND h.account_id = a.id
              AND h.computed_at > %(cutoff)s
            ORDER BY h.computed_at ASC LIMIT 1
        ) since ON true
        WHERE a.tenant_id = %(tenant)s AND a.status = 'active' {account_filter("a.id", ctx.account_ids, params)}
    """
    old = frame_by_account(sql, params)["old_status"].reindex(ctx.account_index)
    new = ctx.result.status
    dropped = band_rank(new, ctx.bands) > band_rank(old, ctx.bands)
    labels = {band["key"]: band["label"] for band in ctx.bands}
    hit = ctx.account_index[dropped.fillna(False).to_numpy(dtype=bool)]
    return pd.Series({
        account_id: f"Health fell from {labels.get(old[account_id], old[account_id])} to "
                    f"{labels.get(new[account_id], new[account_id])} (score {ctx.result.score[account_id]:.1f}) "
                    f"within {days} days."
        for account_id in hit
    }, dtype=object)


def _no_touch(ctx: RiskContext) -> pd.Series:
    days = int(ctx.params["days"])
    since = ctx.source("days_since_last_touch")
    hit = since[since > days]
    return hit.map(lambda n: f"No call, meeting, email, QBR or note for {n:.0f} days (threshold {days}).")


def _champion_left(ctx: RiskContext) -> pd.Series:
    days = int(ctx.params["days"])
    params = {"tenant": ctx.tenant.pk, "since": ctx.moment - timedelta(days=days)}
    sql = f"""
        SELECT DISTINCT ON (account_id) account_id, name, left_company_at
        FROM {Contact._meta.db_table} c
        WHERE tenant_id = %(tenant)s AND is_champion AND left_company AND left_company_at >= %(since)s
          AND NOT EXISTS (SELECT 1 FROM {Contact._meta.db_table} o WHERE o.tenant_id = c.tenant_id
                          AND o.account_id = c.account_id AND o.is_champion AND NOT o.left_company)
          {account_filter("account_id", ctx.account_ids, params)}
        ORDER BY account_id, left_company_at DESC
    """
    frame = frame_by_account(sql, params)
    return pd.Series({
        account_id: f"Champion {row['name']} left the company on {row['left_company_at']:%Y-%m-%d}; "
                    "no other champion is in place."
        for account_id, row in frame.iterrows()
    }, dtype=object)


def competitor_pattern(competitors: list[str]) -> str | None:
    """A PostgreSQL regex matching any competitor name as whole words, case-insensitively (with ~*)."""
    names = [re.sub(r"([\\.^$|()\[\]{}*+?])", r"\\\1", name.strip()) for name in competitors if name and name.strip()]
    return r"\m(" + "|".join(names) + r")\M" if names else None


def _competitor_mentioned(ctx: RiskContext) -> pd.Series:
    days = int(ctx.params["days"])
    pattern = competitor_pattern(list((ctx.tenant.settings or {}).get("competitors") or []))
    if pattern is None:
        return pd.Series(dtype=object)
    params = {"tenant": ctx.tenant.pk, "since": ctx.moment - timedelta(days=days), "moment": ctx.moment,
              "pattern": pattern, "kinds": list(TOUCH_KINDS)}
    sql = f"""
        SELECT DISTINCT ON (account_id) account_id, kind, occurred_at, subject,
               (regexp_match(subject || ' ' || body, %(pattern)s, 'i'))[1] AS competitor
        FROM {Activity._meta.db_table}
        WHERE tenant_id = %(tenant)s AND occurred_at >= %(since)s AND occurred_at <= %(moment)s
          AND kind = ANY(%(kinds)s) AND (subject ~* %(pattern)s OR body ~* %(pattern)s)
          {account_filter("account_id", ctx.account_ids, params)}
        ORDER BY account_id, occurred_at DESC
    """
    frame = frame_by_account(sql, params)
    return pd.Series({
        account_id: f"Competitor {row['competitor'] or 'named'} mentioned in a {row['kind']} on "
                    f"{row['occurred_at']:%Y-%m-%d}" + (f": “{row['subject']}”." if row["subject"] else ".")
        for account_id, row in frame.iterrows()
    }, dtype=object)


def _payment_overdue(ctx: RiskContext) -> pd.Series:
    overdue = ctx.accounts["payment_overdue"].astype(bool)
    return pd.Series("Payment is overdue (flagged by billing).", index=ctx.account_index[overdue.to_numpy()], dtype=object)


def register_builtin_rules() -> None:
    register_risk_rule("usage_drop", "Usage dropped", _usage_drop, params={"percent": 25, "days": 30},
                       param_labels={"percent": "Drop of at least (%)", "days": "Over days (vs the same span before)"},
                       description="Active user-days fell by the threshold vs the previous period.")
    register_risk_rule("band_drop", "Health band dropped", _band_drop, params={"days": 14},
                       param_labels={"days": "Compared with days ago"},
                       description="The account's band is worse than it was the given days ago "
                                   "(or than its first band since then, for an account scored more recently).")
    register_risk_rule("no_touch", "No recent touch", _no_touch, params={"days": 45},
                       param_labels={"days": "No touch for more than days"}, priority=TaskPriority.MEDIUM,
                       description="No note, call, meeting, email or QBR on the timeline.")
    register_risk_rule("champion_left", "Champion left", _champion_left, params={"days": 90},
                       param_labels={"days": "Left within days"}, priority=TaskPriority.URGENT, due_days=2,
                       description="The champion left the company and no other champion is in place.")
    register_risk_rule("competitor_mentioned", "Competitor mentioned", _competitor_mentioned, params={"days": 30},
                       param_labels={"days": "Mentioned within days"},
                       description="A competitor from the tenant's list is named in a timeline entry.")
    register_risk_rule("payment_overdue", "Payment overdue", _payment_overdue, params={},
                       priority=TaskPriority.HIGH, description="Billing flagged the account's payment as overdue.")
