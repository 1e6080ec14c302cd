"""The ``account.created`` / ``account.updated`` events (core.registries.events): the account as the API shows
it (``AccountSerializer``), rendered to JSON types the way the API renders it (money as decimal strings, dates
and times ISO), and for ``account.updated`` the API names of the fields that changed. Published by every writer
of accounts (``accounts.services``, the CSV import) inside its transaction; bulk writers publish once per write."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from rest_framework.renderers import JSONRenderer

from accounts.models import Account
from core.registries.events import publish_many

CREATED = "account.created"
UPDATED = "account.updated"

# Model field -> the API field it shows as (``csm_id`` written by the import is the API's ``csm``).
_API_NAME = {"csm_id": "csm"}


def account_payload(account: Account) -> dict:
    """The API's JSON of ``account`` (its ``csm`` must be loaded or None: no query here)."""
    from accounts.api import AccountSerializer  # the API module imports the services that publish

    return json.loads(JSONRenderer().render(AccountSerializer(account).data))


def api_field_names(fields: Iterable[str]) -> list[str]:
    names = [_API_NAME.get(f, f) for f in fields]
    return list(dict.fromkeys(n for n in names if n in _api_fields()))


def _api_fields() -> frozenset[str]:
    from accounts.api import AccountSerializer

    return frozenset(AccountSerializer.Meta.fields)


def publish_created(*, tenant_id: int, accounts: Iterable[Account]) -> None:
    payloads = [account_payload(a) for a in accounts]
    if payloads:
        publish_many(CREATED, tenant_id=tenant_id, payloads=payloads)


def publish_updated(*, tenant_id: int, accounts: Iterable[Account], changed: Mapping[int, Iterable[str]]) -> None:
    """``account.updated`` for each account whose API fields changed (``changed``: account id -> field names)."""
    payloads = []
    for account in accounts:
        names = api_field_names(changed.get(account.pk, ()))
        if names:
            payloads.append(account_payload(account) | {"changed": names})
    if payloads:
        publish_many(UPDATED, tenant_id=tenant_id, payloads=payloads)


def publish_written(*, tenant_id: int, created_ids: Iterable[int] = (), changed: Mapping[int, Iterable[str]]) -> None:
    """``account.created`` for ``created_ids`` and ``account.updated`` for ``changed`` (account id -> field
    names) after a bulk write, re-reading the accounts in one query."""
    created = list(created_ids)
    wanted = {pk: api_field_names(fields) for pk, fields in changed.items()}
    updated = [pk for pk, names in wanted.items() if names]
    if not created and not updated:
        return
    accounts = Account.objects.select_related("csm").in_bulk(created + updated)
    publish_created(tenant_id=tenant_id, accounts=[accounts[pk] for pk in sorted(created)])
    publish_updated(tenant_id=tenant_id, accounts=[accounts[pk] for pk in sorted(updated)], changed=wanted)
