"""`bench tickets`' concurrent run: gunicorn with production settings on a free loopback port, signed-in clients,
bounded in requests and time, gunicorn stopped and the bench's session removed afterwards."""

from __future__ import annotations

import os
import socket

import pytest
from django.contrib.sessions.models import Session
from django.db import connection

from tenancy.models import Role
from tests.factories.accounts import AccountFactory
from tests.factories.tickets import TicketFactory
from tickets import bench_served


class Out:
    def __init__(self):
        self.lines: list[str] = []

    def write(self, line: str) -> None:
        self.lines.append(line)


@pytest.mark.django_db(transaction=True)
def test_concurrent_run_is_bounded_and_stops_gunicorn(monkeypatch, tenant, member):
    # The served app reads what this test wrote: point it at the test database.
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x").rsplit("/", 1)[0]
    monkeypatch.setenv("DATABASE_URL", f"{base}/{connection.settings_dict['NAME']}")
    ports: list[int] = []
    free_port = bench_served._free_port
    monkeypatch.setattr(bench_served, "_free_port", lambda: ports.append(free_port()) or ports[-1])
    engineer = member(Role.SUPPORT_ENGINEER)
    TicketFactory(account=AccountFactory(tenant=tenant), subject="Served under load")
    out = Out()

    result = bench_served.concurrent_run(tenant, engineer, {"clients": 3, "seconds": 2.0, "max_requests": 12,
                                                      "workers": 1}, out)

    assert "concurrent_error" not in result, out.lines
    assert result["concurrent_errors"] == 0
    assert 1 <= result["concurrent_requests"] <= 12  # the bound on requests holds
    assert result["concurrent_seconds"] < 30 and result["concurrent_workers"] == 1
    assert result["concurrent_p50_ms"] <= result["concurrent_p95_ms"]
    assert ports and ports[0] > 0
    with pytest.raises(OSError), socket.create_connection((bench_served.LOOPBACK, ports[0]), timeout=2):
        pass  # gunicorn is gone
    assert not Session.objects.exists()
