"""Reads behind the cadence settings page, API, daily job and account panel: a constant number of
queries whatever the number of accounts (the last touchpoints are one aggregate query)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Account, AccountStatus, Activity, Task
from renewals.cadence_dates import Due, next_due, resets_on
from renewals.models import CadenceScope, TouchpointCadence
from tenancy.context import get_current_tenant


def tenant_today() -> date:
    return timezone.localdate(timezone=get_current_tenant().tzinfo)


def cadence_list() -> QuerySet[TouchpointCadence]:
    return TouchpointCadence.objects.order_by("scope", "match", "kind", "label", "id")


def active_cadences() -> list[TouchpointCadence]:
    return list(TouchpointCadence.objects.filter(active=True).order_by("id"))


def segment_choices() -> list[tuple[str, str]]:
    """The tenant's segments (key, label), for the settings form."""
    return [(s["key"], s.get("label") or s["key"]) for s in get_current_tenant().get_segment_thresholds()]


def tier_names() -> list[str]:
    """The tiers the tenant's accounts use (one DISTINCT query), offered as suggestions in the form."""
    return list(Account.objects.exclude(tier="").order_by("tier").values_list("tier", flat=True).distinct())


def _cadences_match(cadence: TouchpointCadence, account: dict) -> bool:
    if cadence.scope == CadenceScope.SEGMENT:
        return account["segment"] == cadence.match
    return account["tier_key"] == cadence.match.lower()


def _account_filter(cadences: list[TouchpointCadence]) -> Q:
    segments = {c.match for c in cadences if c.scope == CadenceScope.SEGMENT}
    tiers = {c.match.lower() for c in cadences if c.scope == CadenceScope.TIER}
    return Q(segment__in=segments) | Q(tier_key__in=tiers)


def _accounts(cadences: list[TouchpointCadence], account_id: int | None) -> list[dict]:
    rows = Account.objects.filter(status=AccountStatus.ACTIVE).annotate(tier_key=Lower("tier"))
    if account_id is not None:
        rows = rows.filter(pk=account_id)
    return list(
        rows.filter(_account_filter(cadences)).values(
            "id", "segment", "tier_key", "customer_since", "created_at", "csm_id",
        )
    )


def last_touches(*, kinds: Iterable[str], account_id: int | None = None) -> dict[tuple[int, str], datetime]:
    """The last timeline activity of each kind for each active account (or one account): one GROUP BY."""
    rows = Activity.objects.filter(kind__in=list(kinds), account__status=AccountStatus.ACTIVE)
    if account_id is not None:
        rows = rows.filter(account_id=account_id)
    return {
        (r["account_id"], r["kind"]): r["last"]
        for r in rows.values("account_id", "kind").annotate(last=Max("occurred_at")).order_by()
    }


def due_touchpoints(
    *, cadences: list[TouchpointCadence], account_id: int | None = None
) -> tuple[list[Due], dict[int, dict]]:
    """Every (account, cadence) pair's next touchpoint: the accounts the cadences apply to (one query) and
    their last touchpoints (one aggregate query). Returns the dues and the accounts by id."""
    if not cadences:
        return [], {}
    tz = get_current_tenant().tzinfo
    accounts = {a["id"]: a for a in _accounts(cadences, account_id)}
    kinds = {kind for c in cadences for kind in resets_on(c.kind, c.resets_on)}
    touches = last_touches(kinds=kinds, account_id=account_id) if accounts else {}
    dues = []
    for account in accounts.values():
        since = account["customer_since"] or timezone.localdate(account["created_at"], timezone=tz)
        for cadence in cadences:
            if not _cadences_match(cadence, account):
                continue
            moments = [touches.get((account["id"], k)) for k in resets_on(cadence.kind, cadence.resets_on)]
            last = max((m for m in moments if m is not None), default=None)
            last_day = timezone.localdate(last, timezone=tz) if last is not None else None
            due = next_due(last_touch=last_day, customer_since=since, count=cadence.interval_count,
                           unit=cadence.interval_unit)
            dues.append(Due(cadence_id=cadence.pk, account_id=account["id"], due_date=due, last_touch=last_day))
    return dues, accounts


def existing_cta_keys(keys: Iterable[str]) -> set[str]:
    """Dedupe keys already used by a CTA in any status: a prepare CTA closed by hand is not opened again for
    the same due date."""
    keys = list(keys)
    if not keys:
        return set()
    return set(Task.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))


def next_touchpoints_for_account(account: Account) -> list[dict]:
    """The account page's panel: each cadence that applies to the account with its next due date and the
    last touchpoint (three queries: cadences, the account's row, its last touchpoints)."""
    cadences = active_cadences()
    dues, _ = due_touchpoints(cadences=cadences, account_id=account.pk)
    by_id = {c.pk: c for c in cadences}
    today = tenant_today()
    return sorted(
        (
            {"cadence": by_id[d.cadence_id], "due_date": d.due_date, "last_touch": d.last_touch,
             "days_left": d.days_left(today), "days_overdue": -d.days_left(today), "overdue": d.due_date < today}
            for d in dues
        ),
        key=lambda row: row["due_date"],
    )
