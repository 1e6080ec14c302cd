"""The one way account pages and endpoints fetch an account, contact or task (CTA) of the tenant.

Built on :func:`tenancy.access.access_object`: scoped to the current tenant, one not-found error
(404 on pages and in the API) for a missing, malformed or other tenant's id, and with
``for_write=True`` the role's capability checked (403) and the row locked. Call a ``for_write``
helper inside ``transaction.atomic()``, together with the write.
"""

from __future__ import annotations

from accounts import selectors
from accounts.models import Account, Contact, Task
from tenancy.access import access_object
from tenancy.permissions import ACCOUNTS_ENGAGE, ACCOUNTS_WRITE
from tenancy.principal import Principal


def access_account(
    pk, *, principal: Principal | None, for_write: bool = False, capability: str = ACCOUNTS_WRITE
) -> Account:
    """One account; writing needs ``accounts.write`` unless another capability is named (e.g. engage)."""
    return access_object(
        Account.objects.select_related("csm"), pk, principal=principal, capability=capability, for_write=for_write
    )


def access_account_360(pk, *, principal: Principal | None) -> Account:
    """One account for the 360 page, with its open-task and contact counts (read only)."""
    return access_object(selectors.account_detail_queryset(), pk, principal=principal)


def access_contact(
    pk, *, principal: Principal | None, account: Account | None = None, for_write: bool = False
) -> Contact:
    """One contact (of ``account`` when given: another account's contact is not found)."""
    queryset = Contact.objects.select_related("account")
    if account is not None:
        queryset = queryset.filter(account=account)
    return access_object(queryset, pk, principal=principal, capability=ACCOUNTS_WRITE, for_write=for_write)


def access_task(pk, *, principal: Principal | None, for_write: bool = False) -> Task:
    """One task (CTA); changing it needs ``accounts.engage``."""
    return access_object(
        Task.objects.select_related("account", "owner"), pk, principal=principal, capability=ACCOUNTS_ENGAGE,
        for_write=for_write,
    )
