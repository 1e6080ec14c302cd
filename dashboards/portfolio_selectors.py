"""Read queries of the VP portfolio dashboard: a constant number of queries whatever the number of accounts.

* ``PortfolioFilters`` (segment, csm: a user id or "none") from the query string.
* :func:`portfolio_mix`: accounts and ARR by health band and by segment from today's ``PortfolioDay`` rows
  (the latest refreshed day): one query over a few hundred rows.
* :func:`at_risk`: the ARR of active accounts in the bottom band or with an open renewal forecast at risk, and
  the ten largest of them: two queries.
* :func:`renewals_by_forecast`: open renewals ending in the next 90 days by forecast (count, ARR): one query.
* :func:`team_books`: each CSM's book (accounts, ARR, bottom-band accounts, overdue CTAs, open renewals at risk):
  one grouped query.
The page adds the domain apps' own set-based figures (retention, pipeline, NPS/CSAT, onboarding, SLA).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Account, AccountStatus, TaskStatus
from dashboards.models import PortfolioDay
from renewals.models import Forecast, Renewal, RenewalStage
from tenancy.context import get_current_tenant

RENEWAL_HORIZON_DAYS = 90
TOP_AT_RISK = 10
ZERO = Decimal("0")


@dataclass(frozen=True)
class PortfolioFilters:
    segment: str = ""
    csm: str = ""  # a user id, "none" (no CSM) or "" (everyone)

    @classmethod
    def from_params(cls, params, *, segments: list[str]) -> PortfolioFilters:
        segment = (params.get("segment") or "").strip()
        csm = (params.get("csm") or "").strip()
        return cls(segment=segment if segment in segments else "",
                   csm=csm if csm == "none" or (csm.isdigit() and int(csm) < 2**62) else "")

    def query(self, **changes) -> str:
        values = {"segment": self.segment, "csm": self.csm, **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def account_q(self, prefix: str = "") -> Q:
        """These filters over accounts (``prefix``: the path to the account, e.g. ``"account__"``)."""
        q = Q()
        if self.segment:
            q &= Q(**{f"{prefix}segment": self.segment})
        if self.csm == "none":
            q &= Q(**{f"{prefix}csm__isnull": True})
        elif self.csm:
            q &= Q(**{f"{prefix}csm_id": int(self.csm)})
        return q

    @property
    def csm_id(self) -> int | None:
        return int(self.csm) if self.csm.isdigit() else None


OPEN_RENEWAL = ~Q(stage=RenewalStage.CLOSED)


def portfolio_mix(*, filters: PortfolioFilters) -> dict:
    """``{"day", "by_band": {band: (accounts, arr)}, "by_segment": {...}, "accounts", "arr"}`` from the latest
    day's ``PortfolioDay`` rows (one query)."""
    latest = PortfolioDay.objects.order_by("-day").values("day")[:1]
    rows = (PortfolioDay.objects.filter(day=Subquery(latest)).filter(filters.account_q())
            .values("day", "band", "segment").annotate(n=Sum("accounts"), total=Sum("arr")))
    out = {"day": None, "by_band": {}, "by_segment": {}, "accounts": 0, "arr": ZERO}
    for row in rows:
        out["day"] = row["day"]
        for key, group in ((row["band"], "by_band"), (row["segment"], "by_segment")):
            accounts, arr = out[group].get(key, (0, ZERO))
            out[group][key] = (accounts + row["n"], arr + row["total"])
        out["accounts"] += row["n"]
        out["arr"] += row["total"]
    return out


def _at_risk_accounts(*, filters: PortfolioFilters, bottom_band: str | None):
    at_risk_renewal = Renewal.objects.filter(OPEN_RENEWAL, account_id=OuterRef("pk"), forecast=Forecast.AT_RISK)
    risky = Q(renewal_at_risk=True)
    if bottom_band:
        risky |= Q(health_status=bottom_band)
    return (Account.objects.filter(status=AccountStatus.ACTIVE).filter(filters.account_q())
            .annotate(renewal_at_risk=Exists(at_risk_renewal)).filter(risky))


def at_risk(*, filters: PortfolioFilters, bottom_band: str | None) -> dict:
    """``{"accounts", "arr", "bottom_band", "top"}``: active accounts in the bottom band or with an open renewal
    forecast at risk (two queries: the sums and the ten largest, each with the reason)."""
    queryset = _at_risk_accounts(filters=filters, bottom_band=bottom_band)
    totals = queryset.aggregate(n=Count("id"), total=Coalesce(Sum("arr"), Value(ZERO), output_field=DecimalField()))
    top = list(queryset.select_related("csm").order_by("-arr", "name")[:TOP_AT_RISK])
    for account in top:
        account.reasons = [r for r, on in (("bottom band", account.health_status == bottom_band and bottom_band),
                                            ("renewal at risk", account.renewal_at_risk)) if on]
    return {"accounts": totals["n"], "arr": totals["total"], "top": top}


def renewals_by_forecast(*, filters: PortfolioFilters, today: date) -> list[dict]:
    """Open renewals whose contract ends in the next 90 days, per forecast (one query): every open category,
    zeros included, in the forecast's order."""
    rows = {row["forecast"]: row for row in (
        Renewal.objects.filter(OPEN_RENEWAL, contract_end__gte=today,
                               contract_end__lte=today + timedelta(days=RENEWAL_HORIZON_DAYS))
        .filter(filters.account_q("account__")).values("forecast").annotate(n=Count("id"), total=Sum("arr")))}
    return [{"forecast": key, "label": label, "count": rows.get(key, {}).get("n", 0),
             "arr": rows.get(key, {}).get("total") or ZERO} for key, label in Forecast.choices]


_TEAM = """
WITH overdue AS (
    SELECT account_id, count(*) AS n FROM accounts_task
    WHERE tenant_id = %(tenant)s AND status = %(open)s AND due_date < %(today)s GROUP BY account_id
), risky AS (
    SELECT account_id, count(*) AS n, sum(arr) AS arr FROM renewals_renewal
    WHERE tenant_id = %(tenant)s AND stage <> %(closed)s AND forecast = %(at_risk)s GROUP BY account_id
)
SELECT a.csm_id, count(*), COALESCE(sum(a.arr), 0), count(*) FILTER (WHERE a.health_status = %(bottom)s),
       COALESCE(sum(o.n), 0), COALESCE(sum(r.n), 0), COALESCE(sum(r.arr), 0)
FROM accounts_account a
LEFT JOIN overdue o ON o.account_id = a.id
LEFT JOIN risky r ON r.account_id = a.id
WHERE a.tenant_id = %(tenant)s AND a.status = %(active)s {where}
GROUP BY a.csm_id
"""


def team_books(*, filters: PortfolioFilters, today: date, bottom_band: str | None, names: dict[int, str]) -> list[dict]:
    """Each CSM's book of active accounts: accounts, ARR, accounts in the bottom band, overdue open CTAs on
    them (due before today) and their open renewals forecast at risk (count, ARR). One grouped query."""
    params = {"tenant": get_current_tenant().pk, "today": today, "open": TaskStatus.OPEN,
              "closed": RenewalStage.CLOSED, "at_risk": Forecast.AT_RISK, "bottom": bottom_band or "",
              "active": AccountStatus.ACTIVE}
    clauses = []
    if filters.segment:
        clauses.append("AND a.segment = %(segment)s")
        params["segment"] = filters.segment
    if filters.csm == "none":
        clauses.append("AND a.csm_id IS NULL")
    elif filters.csm:
        clauses.append("AND a.csm_id = %(csm)s")
        params["csm"] = int(filters.csm)
    with connection.cursor() as cursor:
        cursor.execute(_TEAM.format(where=" ".join(clauses)), params)
        rows = cursor.fetchall()
    books = [{"csm_id": csm, "name": names.get(csm, f"User #{csm}") if csm else "No CSM", "accounts": n,
              "arr": arr, "red": red, "overdue": overdue, "renewals_at_risk": risky, "renewals_at_risk_arr": risky_arr}
             for csm, n, arr, red, overdue, risky, risky_arr in rows]
    return sorted(books, key=lambda b: (b["csm_id"] is None, -b["arr"], b["name"]))
