""""Account changed" and "ARR changed" hooks: other apps react to account edits without accounts importing them.

An app registers in its ``AppConfig.ready()``::

    register_account_changed_hook(health_on_account_changed)

    def health_on_account_changed(*, tenant, changes: dict[int, frozenset[str]]) -> None:
        # changes: account id -> the fields that changed ("status", "payment_overdue", "csm", ...)
        ...

Accounts' services (``account_update``, the CSV import) call :func:`accounts_changed` after writing
account fields. Hooks run inside the writer's transaction, so what they record (e.g. an outbox message)
commits or rolls back with the change; work they start must wait for the commit
(``transaction.on_commit``), as health's recompute request does. A hook must be cheap: one call per
write, whatever the number of accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

AccountChangedHook = Callable[..., None]

_HOOKS: dict[str, AccountChangedHook] = {}


def register_account_changed_hook(fn: AccountChangedHook, *, key: str | None = None) -> None:
    """Register (or replace, by ``key``: default the function's module and name) a hook."""
    _HOOKS[key or f"{fn.__module__}.{fn.__qualname__}"] = fn


def unregister_account_changed_hook(key: str) -> None:
    _HOOKS.pop(key, None)


def accounts_changed(*, tenant, changes: Mapping[int, Iterable[str]]) -> None:
    """Tell every hook that these accounts' fields changed (accounts without changed fields are left out)."""
    cleaned = {int(account_id): frozenset(fields) for account_id, fields in changes.items() if fields}
    if not cleaned:
        return
    for hook in list(_HOOKS.values()):
        hook(tenant=tenant, changes=cleaned)


# --- "ARR changed" ----------------------------------------------------------------------------------
#
# The ARR ledger lives in a higher layer (renewals): accounts cannot import it, so its services announce
# every change of an account's ``arr`` that they make (account create and edit, the CSV import), and the
# ledger registers the writer of the movements that explain them, in its ``AppConfig.ready()``::
#
#     register_arr_changed_hook(ledger_on_arr_changed)
#
#     def ledger_on_arr_changed(*, tenant, changes: list[ArrChange], actor) -> None: ...
#
# Called once per write (however many accounts it changed), inside the writer's transaction: the movements
# commit or roll back with the change. A change the ledger itself makes (``accounts_arr_set_from_ledger``)
# is never announced: that is what keeps a movement from writing a second movement.


@dataclass(frozen=True)
class ArrChange:
    """One account's ARR going from ``old_arr`` to ``new_arr`` on the date ``on``; ``source`` says which
    writer made it (``account``: create or edit, ``import``: the CSV import)."""

    account_id: int
    old_arr: Decimal
    new_arr: Decimal
    on: date
    source: str = "account"


ArrChangedHook = Callable[..., None]

_ARR_HOOKS: dict[str, ArrChangedHook] = {}


def register_arr_changed_hook(fn: ArrChangedHook, *, key: str | None = None) -> None:
    """Register (or replace, by ``key``: default the function's module and name) an "ARR changed" hook."""
    _ARR_HOOKS[key or f"{fn.__module__}.{fn.__qualname__}"] = fn


def unregister_arr_changed_hook(key: str) -> None:
    _ARR_HOOKS.pop(key, None)


def arr_changed(*, tenant, changes: Iterable[ArrChange], actor=None) -> None:
    """Tell every hook that these accounts' ARR changed (changes to the same value are left out)."""
    real = [change for change in changes if change.old_arr != change.new_arr]
    if not real:
        return
    for hook in list(_ARR_HOOKS.values()):
        hook(tenant=tenant, changes=real, actor=actor)
