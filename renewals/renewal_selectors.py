"""Reads behind renewals: the tenant's renewal settings, the API's list, the daily job's sets and the
renewal desk. A constant number of queries whatever the number of accounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone

from accounts.models import Account, AccountStatus, Activity, Task, TaskSource, TaskStatus
from core.registries.bands import tenant_bands
from renewals.cadence_dates import add_months
from renewals.models import Forecast, Renewal, RenewalSettings
from tenancy.context import get_current_tenant

MOTION_PREFIX = "renewal:{id}:motion:"


def tenant_today() -> date:
    return timezone.localdate(timezone=get_current_tenant().tzinfo)


def renewal_settings_get() -> RenewalSettings:
    """The tenant's settings; an unsaved row with the defaults when the tenant never saved any."""
    return RenewalSettings.objects.first() or RenewalSettings(tenant=get_current_tenant())


def renewal_list() -> QuerySet[Renewal]:
    return Renewal.objects.select_related("account", "account__csm", "forecast_overridden_by").order_by(
        "contract_end", "id"
    )


def open_renewal_for_account(*, account_id: int) -> Renewal | None:
    return Renewal.objects.filter(account_id=account_id, outcome__isnull=True).order_by("contract_end").first()


def renewals_for_account(*, account_id: int) -> list[Renewal]:
    return list(Renewal.objects.filter(account_id=account_id).order_by("-contract_end", "-id"))


def account_for_update(*, account_id: int) -> Account:
    """The renewal's account, locked for the outcome's writes (the caller holds the transaction)."""
    return Account.objects.select_for_update(of=("self",)).get(pk=account_id)


# --- bands -> forecast ------------------------------------------------------------------------------


def band_keys() -> tuple[str | None, str | None]:
    """The tenant's top and bottom health band keys (``None`` when there are fewer than two bands)."""
    bands = tenant_bands()
    if len(bands) < 2:
        return None, None
    return bands[0]["key"], bands[-1]["key"]


def forecast_for_band(band: str | None, *, top: str | None, bottom: str | None) -> str:
    if band is not None and band == top:
        return Forecast.COMMIT
    if band is not None and band == bottom:
        return Forecast.AT_RISK
    return Forecast.PROBABLE


# --- the daily job's sets ---------------------------------------------------------------------------


def renewals_at_risk(*, bottom: str | None, until: date) -> list[dict]:
    """Open renewals of bottom-band accounts whose contract ends by ``until`` (the risk CTAs)."""
    if bottom is None:
        return []
    return list(
        Renewal.objects.filter(outcome__isnull=True, contract_end__lte=until, account__health_status=bottom)
        .values("id", "account_id", "contract_end", "account__csm_id", "account__name", "account__health_score")
    )


def existing_cta_keys(keys: Iterable[str]) -> set[str]:
    """Dedupe keys used by a CTA in any status: a renewal CTA closed by hand is not opened again."""
    keys = list(keys)
    if not keys:
        return set()
    return set(Task.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))


def open_motion_ctas(*, renewal_ids: Iterable[int]) -> list[Task]:
    """The open motion CTAs of these renewals (one query; the offset is in the dedupe key)."""
    ids = list(renewal_ids)
    if not ids:
        return []
    pattern = rf"^renewal:({'|'.join(str(int(i)) for i in ids)}):motion:[0-9]+$"
    return list(Task.objects.filter(source=TaskSource.RENEWAL, status=TaskStatus.OPEN, dedupe_key__regex=pattern))


def motion_ctas(*, renewal_id: int) -> list[Task]:
    """A renewal's motion CTAs in any status, by due date (the renewal page)."""
    return list(
        Task.objects.filter(dedupe_key__startswith=MOTION_PREFIX.format(id=renewal_id)).select_related("owner")
        .order_by("due_date", "id")
    )


def forecast_history(*, renewal: Renewal) -> list[Activity]:
    """The renewal's forecast overrides, newest first (timeline entries written with each override)."""
    return list(
        Activity.objects.filter(account_id=renewal.account_id, ref_type="renewal", ref_id=renewal.pk,
                                subject__startswith="Renewal forecast:")
        .select_related("author").order_by("-occurred_at", "-id")
    )


def open_renewals_of_accounts(*, account_ids: Iterable[int]) -> list[Renewal]:
    return list(
        Renewal.objects.filter(account_id__in=list(account_ids), outcome__isnull=True)
        .select_related("account").order_by("id")
    )


def contract_ends_taken(*, pairs: list[tuple[int, date]]) -> set[tuple[int, date]]:
    """Which (account, contract end) pairs already have a renewal (one query)."""
    if not pairs:
        return set()
    rows = Renewal.objects.filter(account_id__in={a for a, _ in pairs}, contract_end__in={d for _, d in pairs})
    return set(rows.values_list("account_id", "contract_end"))


# --- the renewal desk -------------------------------------------------------------------------------

DESK_MONTHS = 12
DESK_ROWS_PER_MONTH = 10
DESK_ROWS_ONE_MONTH = 500  # "show all of a month": a bound, not a page size anyone reaches in practice


@dataclass(frozen=True)
class DeskFilters:
    csm: str = ""  # a user id, "none" (unassigned) or "" (anyone)
    segment: str = ""
    forecast: str = ""
    month: str = ""  # "YYYY-MM": that month alone, every renewal of it listed (up to DESK_ROWS_ONE_MONTH)


def _month_starts(today: date, count: int) -> list[date]:
    starts, day = [], today.replace(day=1)
    for _ in range(count):
        starts.append(day)
        day = add_months(day, 1)
    return starts


def _desk_rows(*, today: date, filters: DeskFilters) -> tuple[list[date], date, QuerySet[Renewal]]:
    months = _month_starts(today, DESK_MONTHS)
    chosen = next((m for m in months if m.strftime("%Y-%m") == filters.month), None)
    if chosen is not None:
        months = [chosen]
    until = add_months(months[-1], 1) - timedelta(days=1)
    rows = Renewal.objects.filter(contract_end__gte=months[0], contract_end__lte=until)
    if filters.csm == "none":
        rows = rows.filter(account__csm__isnull=True)
    elif filters.csm.isdigit():
        rows = rows.filter(account__csm_id=int(filters.csm))
    if filters.segment:
        rows = rows.filter(account__segment=filters.segment)
    if filters.forecast in Forecast.values:
        rows = rows.filter(forecast=filters.forecast)
    return months, until, rows


def _not_yet_opened(first: date, until: date, filters: DeskFilters):
    """Active accounts whose renewal date falls in the desk's months but whose renewal is not opened yet
    (beyond the tenant's window): count and ARR per month, one aggregate. The desk shows them so a month
    past the window does not read "no renewals" while accounts do renew in it."""
    accounts = Account.objects.filter(status=AccountStatus.ACTIVE, renewal_date__gte=first, renewal_date__lte=until)
    if filters.csm == "none":
        accounts = accounts.filter(csm__isnull=True)
    elif filters.csm.isdigit():
        accounts = accounts.filter(csm_id=int(filters.csm))
    if filters.segment:
        accounts = accounts.filter(segment=filters.segment)
    opened = Renewal.objects.filter(account=OuterRef("pk"), contract_end=OuterRef("renewal_date"))
    return (
        accounts.filter(~Exists(opened)).annotate(month=TruncMonth("renewal_date")).order_by().values("month")
        .annotate(count=Count("id"), arr=Sum("arr"))
    )


def renewal_desk(*, today: date, filters: DeskFilters, per_month: int = DESK_ROWS_PER_MONTH) -> dict:
    """The next 12 months' renewals (this month first) by month, with ARR, forecast, band, days left and
    owner, and the open ones' totals per forecast. Each month lists its ``per_month`` soonest renewals (the
    filters narrow it; its count and ARR cover them all), so the page's cost does not grow with the number of
    renewals. Four queries whatever the number of renewals: the totals by month and forecast (one aggregate),
    the listed renewals' ids (a row number per month), those renewals with their accounts and CSMs, and the
    accounts renewing in those months whose renewal is not opened yet (count and ARR per month)."""
    months, until, rows = _desk_rows(today=today, filters=filters)
    if len(months) == 1:
        per_month = max(per_month, DESK_ROWS_ONE_MONTH)
    is_open = Q(outcome__isnull=True)
    sums = (
        rows.annotate(month=TruncMonth("contract_end")).order_by().values("month", "forecast")
        .annotate(count=Count("id"), total_arr=Sum("arr"), open_count=Count("id", filter=is_open),
                  open_arr=Sum("arr", filter=is_open))
    )
    by_month = {start: {"start": start, "renewals": [], "count": 0, "arr": Decimal("0")} for start in months}
    totals = {key: {"key": key, "label": label, "count": 0, "arr": Decimal("0")} for key, label in Forecast.choices}
    for row in sums:
        month = by_month[row["month"]]
        month["count"] += row["count"]
        month["arr"] += row["total_arr"] or Decimal("0")
        totals[row["forecast"]]["count"] += row["open_count"]
        totals[row["forecast"]]["arr"] += row["open_arr"] or Decimal("0")
    # The window picks the ids alone (cheap to compile and to run), then the rows come by primary key: a plan
    # that stays right even while the table's statistics lag behind a daily job's inserts.
    soonest = list(
        rows.annotate(rank=Window(RowNumber(), partition_by=[TruncMonth("contract_end")],
                                  order_by=[F("contract_end").asc(), F("id").asc()]))
        .filter(rank__lte=per_month).values_list("id", flat=True)
    )
    listed = (
        Renewal.objects.filter(pk__in=soonest)
        .select_related("account", "account__csm", "forecast_overridden_by").order_by("contract_end", "id")
    ) if soonest else []
    for renewal in listed:
        renewal.days_left = (renewal.contract_end - today).days
        by_month[renewal.contract_end.replace(day=1)]["renewals"].append(renewal)
    for month in by_month.values():
        month["more"] = month["count"] - len(month["renewals"])
        month["upcoming"] = {"count": 0, "arr": Decimal("0")}
    if not filters.forecast:  # accounts renewing with no renewal opened yet have no forecast to filter on
        for row in _not_yet_opened(months[0], until, filters):
            by_month[row["month"]]["upcoming"] = {"count": row["count"], "arr": row["arr"] or Decimal("0")}
    return {
        "months": list(by_month.values()),
        "totals": list(totals.values()),
        "open_arr": sum((t["arr"] for t in totals.values()), Decimal("0")),
        "until": until,
        "per_month": per_month,
    }
