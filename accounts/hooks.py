""""Account changed" hooks: other apps react to account edits without accounts importing them.

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
