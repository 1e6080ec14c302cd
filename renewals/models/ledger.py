"""The ARR ledger: every change of an account's ARR, as a dated movement.

An account's ``arr`` is the signed sum of its movements dated up to today (API.md "Renewals and
retention"). Movements may be dated in the future (a signed contraction from next quarter): they move
``arr`` on their date, when the daily job ``renewals.arr_movements_fall_due`` brings the accounts whose
movements fell due back to their ledger balance.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.models import TenantModel


class MovementKind(models.TextChoices):
    NEW = "new", "New"
    EXPANSION = "expansion", "Expansion"
    CONTRACTION = "contraction", "Contraction"
    CHURN = "churn", "Churn"
    REACTIVATION = "reactivation", "Reactivation"


# What a movement does to the balance: the amount is always positive, the kind gives the sign.
INCREASING = frozenset({MovementKind.NEW, MovementKind.EXPANSION, MovementKind.REACTIVATION})
DECREASING = frozenset({MovementKind.CONTRACTION, MovementKind.CHURN})


class MovementSource(models.TextChoices):
    """What wrote a movement (``ref_type``/``ref_id`` name the object when there is one)."""

    API = "api", "API"
    ACCOUNT = "account", "Account create or edit"
    IMPORT = "import", "CSV import"
    OPENING = "opening", "Opening balance"
    RENEWAL = "renewal", "Renewal outcome"
    OPPORTUNITY = "opportunity", "Won opportunity"
    SEED = "seed", "Demo data"


class ArrMovement(TenantModel):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="arr_movements")
    date = models.DateField()
    kind = models.CharField(max_length=16, choices=MovementKind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, help_text="Positive; the kind gives the sign.")
    source = models.CharField(max_length=16, choices=MovementSource.choices, default=MovementSource.API)
    ref_type = models.CharField(max_length=32, blank=True, help_text="Kind of object that caused it, e.g. renewal.")
    ref_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="arr_movement_amount_positive"),
            models.CheckConstraint(condition=Q(kind__in=MovementKind.values), name="arr_movement_kind_valid"),
        ]
        indexes = [
            # An account's ledger (balance, list ?account=), and the tenant's ledger by date (metrics, due job).
            models.Index(fields=["tenant", "account", "date"], name="arr_movement_account_idx"),
            models.Index(fields=["tenant", "date"], name="arr_movement_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind} {self.amount}"

    @property
    def signed_amount(self):
        return self.amount if self.kind in INCREASING else -self.amount
