"""Helpers of the transactional test layer (``tests/<app>/test_transactional.py``; see tests/README.md).

Those tests run with ``@pytest.mark.django_db(transaction=True)``: no test-wide transaction wraps them,
so every service and every view runs in autocommit exactly as under gunicorn and Celery. A
``select_for_update`` outside an atomic block raises, ``transaction.on_commit`` hooks fire on the real
commit (not never, as inside pytest-django's wrapping transaction), and a write that is not atomic
stays half-written when a later step fails.
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
