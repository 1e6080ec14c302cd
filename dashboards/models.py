"""Materialised dashboard aggregates: summary rows at a daily grain (UTC days) per tenant, rewritten by the
refresh services (``dashboards.refresh``) so a page sums a few hundred rows instead of scanning tickets or
accounts. Nothing here is written by hand: a refresh deletes its window and inserts it again.

* ``PortfolioDay``: accounts and ARR per day x segment x CSM x health band (``band`` "" = not scored yet).
  Today's rows come from the accounts as they are; past days from the health snapshot history.
* ``SupportDay``: ticket flow and SLA outcomes per day x segment x severity x engineer (the assignee), plus
  histograms of first-response and resolution minutes in fixed log-spaced buckets (``dashboards.histograms``),
  so medians and p90 over any filter are a sum of arrays; and the CSAT answers about those tickets.
* ``SupportPeriod``: ``SupportDay`` rolled up over the last 7, 30 and 90 days (the page's breakdowns).
* ``SupportTopAccount``: the accounts with the most tickets over 7, 30 and 90 days (all and per segment).
* ``OutcomeObservation``: each known renewal outcome with the health its account had 90 days before (the
  score validation page's input), rewritten by the daily full refresh.
* ``DashboardRefresh``: when each kind was last refreshed, how long it took and how many rows it wrote.
* ``KpiTarget``: configuration, not an aggregate: a tenant's target for one KPI (``dashboards.kpi_catalogue``).
* ``KpiActuals``: the actuals of those targets as of the last refresh (the Targets panel's one read).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from dashboards import kpi_catalogue
from dashboards.kpi_status import Comparator
from tenancy.models import Tenant, TenantModel


def _tenant_fk() -> models.ForeignKey:
    """The tenant FK of the summary tables, whose composite indexes lead with tenant: no index of its own."""
    return models.ForeignKey(Tenant, on_delete=models.CASCADE, db_index=False, related_name="+")


def _person_fk() -> models.ForeignKey:
    # No database constraint: a summary row may outlive a deleted user until the next refresh rewrites it.
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                             db_constraint=False, related_name="+")


class PortfolioDay(TenantModel):
    tenant = _tenant_fk()
    day = models.DateField()
    segment = models.CharField(max_length=50)
    csm = _person_fk()
    band = models.CharField(max_length=32, blank=True, help_text='The health band key; "" = not scored.')
    accounts = models.PositiveIntegerField(default=0)
    arr = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    scored_accounts = models.PositiveIntegerField(default=0)
    score_sum = models.DecimalField(max_digits=12, decimal_places=1, default=Decimal("0"))

    class Meta:
        indexes = [models.Index(fields=["tenant", "day", "segment"], name="portfolio_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.segment} {self.band or 'unscored'}: {self.accounts}"


class SupportFigures(TenantModel):
    """What a support summary row counts (the columns ``SupportDay`` and ``SupportPeriod`` share)."""

    tenant = _tenant_fk()
    segment = models.CharField(max_length=50)
    severity = models.PositiveSmallIntegerField()
    engineer = _person_fk()
    opened = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    response_met = models.PositiveIntegerField(default=0)
    response_breached = models.PositiveIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)
    resolution_breached = models.PositiveIntegerField(default=0)
    response_hist = ArrayField(models.PositiveIntegerField(), default=list)
    resolution_hist = ArrayField(models.PositiveIntegerField(), default=list)
    # CSAT after a resolved ticket (advocacy's ``csat_ticket`` sends), by the day it was answered and the
    # ticket's segment, severity and assignee: how many answers, the sum of their 1-5 scores, how many 4s and 5s.
    csat_responses = models.PositiveIntegerField(default=0)
    csat_total = models.PositiveIntegerField(default=0)
    csat_satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class SupportDay(SupportFigures):
    """Per day: tickets ``opened``, ``resolved`` and ``escalated`` that day; SLA outcomes decided that day
    (a response by its first response, or its due instant when breached unanswered; a resolution by its
    resolution, or its due instant when breached unresolved); the minutes from opening to first response
    (``response_hist``) and to resolution (``resolution_hist``) of tickets answered / resolved that day."""

    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["tenant", "day", "severity"], name="support_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} Sev{self.severity} {self.segment}: {self.opened} opened"


class SupportPeriod(SupportFigures):
    """``SupportDay`` summed over the last ``period_days`` days (7, 30, 90) up to ``end_day`` per segment x
    severity x engineer: the page's breakdowns sum a few hundred of these rather than every day's rows."""

    period_days = models.PositiveSmallIntegerField()
    end_day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["tenant", "period_days", "segment"], name="support_period_idx")]

    def __str__(self) -> str:
        return f"{self.period_days} days to {self.end_day} Sev{self.severity} {self.segment}"


class SupportTopAccount(TenantModel):
    """The ten accounts with the most tickets opened in the last ``period_days`` days (7, 30, 90), over all
    segments (``segment`` "") and within each segment: rewritten with ``SupportDay``."""

    tenant = _tenant_fk()
    period_days = models.PositiveSmallIntegerField()
    segment = models.CharField(max_length=50, blank=True)
    rank = models.PositiveSmallIntegerField()
    account = models.ForeignKey("accounts.Account", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    tickets = models.PositiveIntegerField()

    class Meta:
        ordering = ["rank"]
        indexes = [models.Index(fields=["tenant", "period_days", "segment", "rank"], name="support_top_account_idx")]

    def __str__(self) -> str:
        return f"#{self.rank} over {self.period_days} days: {self.tickets} tickets"


class OutcomeObservation(TenantModel):
    """One per renewal with a known outcome: the health its account had ``LEAD_DAYS`` before the outcome
    (``dashboards.validation_selectors``), rewritten by the daily (and on-demand) full refresh, so the score
    validation page reads rows instead of probing the snapshot history once per renewal."""

    tenant = _tenant_fk()
    account = models.ForeignKey("accounts.Account", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    account_name = models.CharField(max_length=200)
    outcome = models.CharField(max_length=16)
    outcome_on = models.DateField()
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    band = models.CharField(max_length=32, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "outcome_on"], name="outcome_observation_idx")]

    def __str__(self) -> str:
        return f"{self.account_name} {self.outcome} on {self.outcome_on}"


class RefreshKind(models.TextChoices):
    PORTFOLIO = "portfolio", "Portfolio"
    SUPPORT = "support", "Support"
    SUPPORT_FULL = "support_full", "Support (whole window)"
    VALIDATION = "validation", "Score validation outcomes"


class DashboardRefresh(TenantModel):
    kind = models.CharField(max_length=16, choices=RefreshKind.choices)
    refreshed_at = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(default=0.0)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind"], name="dashboard_refresh_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} refreshed {self.refreshed_at:%Y-%m-%d %H:%M}"


class KpiTarget(TenantModel):
    """One of a tenant's KPI targets (configuration, seeded from its handbook): ``metric`` (a key of
    ``dashboards.kpi_catalogue``) ``comparator`` (at least / at most) ``target``. One per tenant and metric."""

    metric = models.CharField(max_length=40, help_text="A key of dashboards.kpi_catalogue (checked by the services).")
    comparator = models.CharField(max_length=10, choices=[(c.value, c.label) for c in Comparator])
    target = models.DecimalField(max_digits=8, decimal_places=2)
    note = models.CharField(max_length=200, blank=True, help_text="Where the target comes from, e.g. the handbook.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "metric"], name="kpi_target_one_per_metric")]

    def __str__(self) -> str:
        return f"{self.metric} {self.comparator} {self.target}"

    @property
    def kpi(self) -> kpi_catalogue.Kpi:
        return kpi_catalogue.BY_KEY[self.metric]


class FeatureAdoptionDay(TenantModel):
    """The inputs of the ``feature_adoption_90d`` KPI as of one UTC ``day`` (``dashboards.kpi_refresh``, once a
    day with the aggregates' first refresh, or on demand): ``features``, the distinct ``feature:*`` usage metrics
    the tenant's active accounts used (value > 0) in the ``window_days`` days to ``day``; ``accounts``, the active
    accounts that reported any usage then; ``used``, the sum over those accounts of the features each used."""

    tenant = _tenant_fk()
    day = models.DateField()
    window_days = models.PositiveSmallIntegerField()
    accounts = models.PositiveIntegerField(default=0)
    features = models.PositiveIntegerField(default=0)
    used = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="feature_adoption_one_per_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.used} of {self.features} x {self.accounts}"


class KpiActuals(TenantModel):
    """Every KPI actual the tenant has a target for, as ``kpi_selectors.actuals`` computed them at
    ``computed_at`` for the tenant's ``day`` (``dashboards.kpi_refresh``, with each dashboard refresh): one row
    per tenant, ``values`` ``{metric: actual}`` (a Decimal as its string, a float or int as a number, None as
    null), so the Targets panel reads one row instead of computing eight sources per page view."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The tenant's local date the actuals are for.")
    computed_at = models.DateTimeField()
    values = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{len(self.values)} KPI actuals for {self.day}"


class DigestPreference(TenantModel):
    """A member's choice about the daily email digest of their book (no row: they get it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    daily_digest = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="digest_preference_unique_user")]


class DigestStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    EMPTY = "empty", "Nothing to report"
    SKIPPED = "skipped", "Skipped (turned off or no longer a member)"


class DigestSent(TenantModel):
    """One CSM's digest of one local day: written when the morning job queues it (the unique key makes a second
    run or a retry queue nothing), then marked by the task that renders and sends it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The tenant's local date the digest is for.")
    status = models.CharField(max_length=16, choices=DigestStatus.choices, default=DigestStatus.QUEUED)
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    items = models.PositiveIntegerField(default=0, help_text="How many items the digest listed.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user", "day"], name="digest_sent_once_per_day")]
