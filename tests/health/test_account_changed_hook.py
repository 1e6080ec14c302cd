"""Health recomputes an account when accounts' services report a change that moves its health, through
the "account changed" hook (``accounts.hooks``), not by reading timeline metadata."""

from __future__ import annotations

import pytest

from accounts import hooks, imports
from accounts import services as account_services
from accounts.csv_import import parse_upload
from health import signals
from tests.factories.accounts import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def requested(monkeypatch):
    """The accounts health asked to recompute, per request."""
    calls: list[list[int]] = []
    monkeypatch.setattr(signals, "request_account_recompute", lambda ids, tenant: calls.append(sorted(ids)))
    return calls


def test_health_registers_its_hook():
    assert hooks._HOOKS["health.recompute"] is signals.on_account_changed


def test_an_account_edit_that_moves_health_asks_for_a_recompute(in_tenant, alice, requested):
    account = AccountFactory(tenant=in_tenant, payment_overdue=False)
    account_services.account_update(account=account, actor=alice, payment_overdue=True)
    assert requested == [[account.pk]]
    account_services.account_update(account=account, actor=alice, name="Renamed")  # does not move health
    assert requested == [[account.pk]]


def test_the_recompute_goes_through_the_hook(in_tenant, alice, requested, monkeypatch):
    """Timeline metadata is not a contract: without the hook, an edit asks for nothing."""
    monkeypatch.setitem(hooks._HOOKS, "health.recompute", lambda **kwargs: None)
    account = AccountFactory(tenant=in_tenant)
    account_services.account_update(account=account, actor=alice, status="churned")
    assert requested == []


def test_a_csv_import_that_moves_health_asks_for_a_recompute(in_tenant, requested):
    moved = AccountFactory(tenant=in_tenant, external_id="A-1", status="active")
    renamed = AccountFactory(tenant=in_tenant, external_id="A-2", name="Before")
    parsed = parse_upload("accounts", b"external_id,name,status\nA-1,%s,churned\nA-2,After,active\n"
                          % moved.name.encode())
    result = imports.import_apply(parsed=parsed, actor=None, source_name="a.csv")
    assert result.updated == 2
    assert requested == [[moved.pk]]
    assert renamed.pk not in requested[0]


def test_the_hook_passes_each_accounts_changed_fields(in_tenant, monkeypatch):
    seen = []
    monkeypatch.setitem(hooks._HOOKS, "test", lambda *, tenant, changes: seen.append((tenant, changes)))
    hooks.accounts_changed(tenant=in_tenant, changes={1: ["status"], 2: []})
    assert seen == [(in_tenant, {1: frozenset({"status"})})]
