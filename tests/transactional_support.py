"""The transactional test layer: every write service and write endpoint, run as production runs it.

Where it lives: ``tests/<app>/test_transactional.py`` (accounts, health, onboarding, knowledge, tenancy,
tickets), with the helpers below.

Why: the rest of the suite runs inside pytest-django's per-test transaction. There a
``select_for_update`` outside ``@transaction.atomic`` does not raise (the business-hours 500 of issue 8
shipped that way), ``transaction.on_commit`` hooks never fire, and a service that is not atomic looks
atomic because the whole test rolls back. These tests use ``@pytest.mark.django_db(transaction=True)``
and the ``autocommit`` fixture: no enclosing transaction, real commits, hooks firing on commit.

What each test checks, per write:
- the write lands: read it back with ``committed(...)``, which queries on a second connection (another
  thread), so only committed rows are visible;
- a service doing several writes is atomic: make a later step raise (``monkeypatch.setattr(module,
  "step", boom)``), expect ``Boom``, and find nothing written with ``committed(...)``;
- a service that locks (``select_for_update``, advisory locks) runs without TransactionManagementError;
- follow-up work enqueued with ``transaction.on_commit`` (health recomputes, ...) runs after the commit,
  and not when the transaction rolled back;
- the pages and API endpoints that call the service do all of the above through the test client.

When to add a test here: every new write service (a public function in ``services.py`` or
``services/``), every new page or API endpoint that writes, and every service that gains a lock, a
second write or an ``on_commit`` hook. Keep them small: ``transaction=True`` flushes every table after
each test, so build only the rows the test needs with the usual fixtures and factories.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from tenancy.context import tenant_context

__all__ = ["Boom", "autocommit", "boom", "committed"]


class Boom(RuntimeError):
    """Raised by a step that a test makes fail midway through a service."""


def boom(*args: Any, **kwargs: Any) -> None:
    raise Boom("forced failure midway")


@pytest.fixture
def autocommit(transactional_db):
    """The test runs as production does: autocommit, no enclosing atomic block (and none left open)."""
    assert connection.get_autocommit() and not connection.in_atomic_block
    yield
    assert not connection.in_atomic_block, "a test or service left a transaction open"


def committed(read: Callable[[], Any], *, tenant=None) -> Any:
    """Run ``read`` on a second database connection (another thread) and return its result.

    A second connection sees only what was committed, so this is the "fresh query after commit":
    a row the service wrote but did not commit is invisible here.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            if tenant is None:
                outcome["value"] = read()
            else:
                with tenant_context(tenant):
                    outcome["value"] = read()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the second connection blocked (a lock held by an open transaction?)"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
