"""Retention materialised per tenant (``renewals.retention_refresh`` rewrites it; nothing else writes it).

* ``RetentionWindowTotals``: the sums behind NRR, GRR and logo retention of each trailing-twelve-month window
  of the trend (``renewals.retention.trailing_windows``: one per month, the last ending on ``as_of``) per
  account segment x CSM x *starting segment* (the segment the account's ARR at the window's start puts it in,
  by the tenant's thresholds: the retention report's split). Sums over any filter give that filter's
  ``RetentionTotals`` exactly as the live computation (``ledger_selectors``) does.
* ``LedgerMonth``: the ledger's movements summed by calendar month and kind (every account, new logos too),
  dated up to ``as_of``: the report's "movements by month".
* ``RetentionRefresh``: the day (tenant time) the rows were computed for, the segment thresholds they used,
  when and how long: the readers use the rows only when they still answer today's question.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenancy.models import Tenant, TenantModel


def _money() -> models.DecimalField:
    return models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))


class RetentionWindowTotals(TenantModel):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, db_index=False, related_name="+")
    month = models.CharField(max_length=7, help_text='The window\'s month, "YYYY-MM" (the trend\'s point).')
    start = models.DateField(help_text="The window starts after this day (a month's last day).")
    end = models.DateField(help_text="The window's last day (a month's last day, or as_of).")
    segment = models.CharField(max_length=50, help_text="The account's segment now.")
    # No database constraint: a summary row may outlive a deleted user until the next refresh rewrites it.
    csm = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                            db_constraint=False, related_name="+")
    start_segment = models.CharField(max_length=50, help_text="The segment of the account's ARR at the start.")
    starting_arr = _money()
    expansion = _money()
    contraction = _money()
    churn = _money()
    accounts = models.PositiveIntegerField(default=0, help_text="Accounts with ARR at the start.")
    retained = models.PositiveIntegerField(default=0, help_text="Of those, with ARR at the end.")

    class Meta:
        indexes = [models.Index(fields=["tenant", "end"], name="retention_window_end_idx")]

    def __str__(self) -> str:
        return f"{self.start}..{self.end} {self.segment}: {self.accounts} accounts"


class LedgerMonth(TenantModel):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, db_index=False, related_name="+")
    month = models.DateField(help_text="The month's first day.")
    new = _money()
    expansion = _money()
    contraction = _money()
    churn = _money()
    reactivation = _money()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "month"], name="ledger_month_one_per_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class RetentionRefresh(TenantModel):
    as_of = models.DateField(help_text="The tenant's day the figures are computed for (their last day).")
    thresholds = models.JSONField(default=list, help_text="The segment thresholds the starting segments used.")
    refreshed_at = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(default=0.0)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="retention_refresh_one_per_tenant")]

    def __str__(self) -> str:
        return f"retention as of {self.as_of}"
