"""Writes on the ARR ledger. A movement and the account's ARR change together, in one transaction.

* ``movement_create``: a movement from the API (or, later, a renewal outcome or a won opportunity): the
  account's ``arr`` becomes its ledger balance today (a future-dated movement moves it on its date).
* ``ledger_on_arr_changed``: the "ARR changed" hook (accounts' create, edit and CSV import): writes the
  movement that takes the ledger's balance to the account's new ARR.
* ``movements_fall_due``: the daily job's work: accounts whose future-dated movements fell due get their
  ledger balance.

Recursion: ``movement_create`` sets ``arr`` through ``accounts_arr_set_from_ledger``, which does not
announce "ARR changed"; so a movement never writes a second movement.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.hooks import ArrChange
from accounts.models import Account
from accounts.services import accounts_arr_set_from_ledger
from base.errors import DomainError
from renewals import ledger_selectors as selectors
from renewals.models import ArrMovement, MovementKind, MovementSource
from tenancy.models import Tenant, User

MAX_AMOUNT = Decimal("999999999999.99")


@transaction.atomic
def movement_create(
    *,
    account: Account,
    date: date,
    kind: str,
    amount: Decimal,
    actor: User | None = None,
    source: str = MovementSource.API,
    ref_type: str = "",
    ref_id: int | None = None,
) -> ArrMovement:
    """Record a movement; the account (fetched with ``for_write=True``: locked) follows its ledger.

    400 (``DomainError``) when the kind is unknown, the amount is not positive, or the movement would take
    the account's balance below 0 on any day.
    """
    if kind not in MovementKind.values:
        raise DomainError(f"Unknown kind {kind!r}.", field="kind")
    if amount is None or amount <= 0 or amount > MAX_AMOUNT:
        raise DomainError("The amount must be positive (the kind gives the direction).", field="amount")
    movement = ArrMovement.objects.create(
        account=account, date=date, kind=kind, amount=amount, source=source, ref_type=ref_type, ref_id=ref_id,
        actor=actor,
    )
    if selectors.lowest_running_balance(account_id=account.pk) < 0:
        raise DomainError("This movement would take the account's ARR below 0.", field="amount")
    today = timezone.localdate()
    if date <= today:
        balance = selectors.balances(account_ids=[account.pk], on=today)[account.pk]
        accounts_arr_set_from_ledger(arrs={account.pk: balance}, actor=actor)
        account.refresh_from_db(fields=["arr", "segment", "updated_at"])
    return movement


def _kind(*, balance: Decimal, new_arr: Decimal, had_movements: bool) -> str:
    if new_arr > balance:
        if balance > 0:
            return MovementKind.EXPANSION
        return MovementKind.REACTIVATION if had_movements else MovementKind.NEW
    return MovementKind.CHURN if new_arr == 0 else MovementKind.CONTRACTION


def ledger_on_arr_changed(*, tenant: Tenant, changes: list[ArrChange], actor: User | None = None) -> list[ArrMovement]:
    """The "ARR changed" hook: one movement per account whose new ARR differs from its ledger balance
    (which is its old ARR whenever the ledger holds its history), by that difference: ``new`` (no
    movement before), ``reactivation`` (back from 0), ``expansion``/``contraction`` by sign, ``churn``
    (to 0). Runs in the writer's transaction; a constant number of queries, whatever the number of accounts.
    """
    state = selectors.ledger_state(account_ids=[change.account_id for change in changes], on=timezone.localdate())
    sources = set(MovementSource.values)
    movements = []
    for change in changes:
        balance, had_movements = state[change.account_id]
        difference = change.new_arr - balance
        if difference == 0:
            continue
        movements.append(ArrMovement(
            tenant=tenant, account_id=change.account_id, date=change.on, amount=abs(difference), actor=actor,
            kind=_kind(balance=balance, new_arr=change.new_arr, had_movements=had_movements),
            source=change.source if change.source in sources else MovementSource.ACCOUNT,
        ))
    return ArrMovement.objects.bulk_create(movements, batch_size=2000)


@transaction.atomic
def movements_fall_due(*, today: date | None = None) -> int:
    """Bring the accounts whose future-dated movements fell due (in the last week: a missed day catches up)
    to their ledger balance. Safe to run twice. Returns how many accounts changed."""
    today = today or timezone.localdate()
    due = selectors.accounts_due(today=today)
    if not due:
        return 0
    return accounts_arr_set_from_ledger(arrs=selectors.balances(account_ids=due, on=today))


@transaction.atomic
def ledger_open_missing(*, tenant: Tenant, source: str = MovementSource.OPENING) -> int:
    """Give each of ``tenant``'s accounts that has ARR but no movement yet an opening ``new`` movement for
    its current ARR, dated its ``customer_since`` (else the day it was created; never later than today):
    what migration 0002 did for the accounts that existed then, for accounts bulk-written without the
    services since (the demo seed). One INSERT; idempotent. Returns how many movements it wrote."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO renewals_arrmovement (tenant_id, account_id, date, kind, amount, source, ref_type, created_at)
            SELECT a.tenant_id, a.id, LEAST(COALESCE(a.customer_since, a.created_at::date), CURRENT_DATE), %s,
                   a.arr, %s, '', NOW()
            FROM accounts_account a
            WHERE a.tenant_id = %s AND a.arr > 0
              AND NOT EXISTS (SELECT 1 FROM renewals_arrmovement m WHERE m.account_id = a.id)
            """,
            [MovementKind.NEW, source, tenant.pk],
        )
        return cursor.rowcount
