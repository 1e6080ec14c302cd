"""Health data: product usage, the tenant's scorecard, score history and CSM sentiment.

Usage rows are keyed by (tenant, account, metric, date): that composite primary key is the
upsert target of ingestion and the index every usage query walks (tenant first, as everywhere).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.models import Tenant, TenantModel


def _tenant_fk_without_own_index(**kwargs) -> models.ForeignKey:
    """The tenant FK for big tables whose composite indexes already lead with tenant (no redundant index)."""
    return models.ForeignKey(Tenant, on_delete=models.CASCADE, db_index=False, related_name="+", **kwargs)


class UsageRecord(TenantModel):
    """One metric's value for one account on one day (integrations push these; a resend replaces).

    The foreign keys have no database constraint: per-row FK triggers cost a third of ingestion
    throughput on the busiest table. Integrity holds all the same: ingestion resolves every account
    inside the tenant and locks it ``FOR KEY SHARE`` (what the FK trigger would do, once per account
    rather than once per row), and deletes of accounts and tenants cascade through the ORM (a tenant
    by its key prefix; an account by one scan per deletion, the price of not indexing account alone).
    """

    pk = models.CompositePrimaryKey("tenant_id", "account_id", "metric", "date")
    tenant = _tenant_fk_without_own_index(db_constraint=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    metric = models.CharField(max_length=100)
    date = models.DateField()
    value = models.FloatField()

    class Meta:
        db_table = "health_usage"
        # Rows arrive in pushes (one tenant, one day at a time), so the heap is laid out by time and,
        # within it, by tenant: a BRIN on (tenant, date) lets recompute's windowed scan of one tenant
        # skip other tenants and old history at almost no write cost (the primary key serves accounts).
        indexes = [BrinIndex(fields=["tenant", "date"], name="usage_tenant_date_brin", pages_per_range=32, autosummarize=True)]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date} {self.metric}={self.value}"


class Scorecard(TenantModel):
    """The tenant's health scorecard: components (weights, measures) and bands, as validated JSON.

    The structure is described and validated in ``health/scorecard.py``; a tenant without a row uses
    the default scorecard.
    """

    components = models.JSONField(default=list)
    bands = models.JSONField(default=list)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="scorecard_one_per_tenant")]

    def __str__(self) -> str:
        return f"Scorecard v{self.version} ({self.tenant_id})"


class HealthSnapshot(TenantModel):
    """One computation of one account's health: the score, its band, and why (components and measures)."""

    tenant = _tenant_fk_without_own_index()
    # Its own index: deleting an account finds its history (and checks the constraint) by account alone.
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField()
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    status = models.CharField(max_length=32, null=True, blank=True)
    # [{"key", "label", "weight", "score"}] as the API shows them.
    components = models.JSONField(default=list)
    # {"<component>": {"<measure>": [raw, score]}}: the raw values behind each component score.
    measures = models.JSONField(default=dict)
    scorecard_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [
            # An account's history, newest first; with the score and band in the index, "the account's health at
            # a date" (the dashboards' portfolio history and score validation) is an index-only probe.
            models.Index(fields=["tenant", "account", "-computed_at"], include=["score", "status"],
                         name="snapshot_account_cover_idx"),
            BrinIndex(fields=["computed_at"], name="snapshot_computed_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} @ {self.computed_at:%Y-%m-%d %H:%M}: {self.score}"


class Sentiment(TenantModel):
    """The CSM's read of an account (1 very negative .. 5 very positive), valid until it expires."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5), name="sentiment_score_1_5"),
        ]
        indexes = [models.Index(fields=["tenant", "account", "-created_at"], name="sentiment_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.score}/5"

    @property
    def is_current(self) -> bool:
        return self.expires_at > timezone.now()


class EventMapping(TenantModel):
    """A product event (Segment ``track`` name) that feeds a usage metric. A metric named here belongs to
    events: its daily value is the count of distinct ``messageId``s that day, and usage rows pushed for
    it are refused."""

    event = models.CharField(max_length=200)
    metric = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["event"]
        constraints = [models.UniqueConstraint(fields=["tenant", "event"], name="event_mapping_unique_event")]

    def __str__(self) -> str:
        return f"{self.event} -> {self.metric}"


class SeenEvent(TenantModel):
    """A tracked event counted once: the ``messageId`` of each event counted into an event-owned metric on
    a day. The key (tenant, metric, date, messageId) makes counting idempotent: a retried event finds
    its row and adds nothing. No FK constraints (as for usage rows): accounts are resolved and locked by
    the ingestion, deletes cascade through the ORM."""

    pk = models.CompositePrimaryKey("tenant_id", "metric", "date", "message_id")
    tenant = _tenant_fk_without_own_index(db_constraint=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    metric = models.CharField(max_length=100)
    date = models.DateField()
    message_id = models.CharField(max_length=200)

    class Meta:
        db_table = "health_seen_event"
        indexes = [BrinIndex(fields=["tenant", "date"], name="seen_event_tenant_date_brin", pages_per_range=32)]

    def __str__(self) -> str:
        return f"{self.metric} {self.date} {self.message_id}"


class ProductUser(TenantModel):
    """A product user (Segment ``userId``) known as a contact of an account (``identify``/``group``)."""

    user_id = models.CharField(max_length=200)
    contact = models.ForeignKey("accounts.Contact", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user_id"], name="product_user_unique_user_id")]

    def __str__(self) -> str:
        return self.user_id
