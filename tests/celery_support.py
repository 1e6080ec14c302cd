"""Pointing the process's Celery app at another broker for one test, and putting everything back.

`TEST_REDIS_URL` is the Redis database tests may use as a broker: `CELERY_TEST_REDIS_URL`, defaulting to
`REDIS_URL` (each checkout or CI job has its own database there), never a hard-coded shared one.
`UNREACHABLE_REDIS` is a closed local port: a real connection attempt that is refused (a broker outage).
"""

from __future__ import annotations

import contextlib
import os
import socket


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


TEST_REDIS_URL = os.environ.get("CELERY_TEST_REDIS_URL") or os.environ.get("REDIS_URL") or ""
UNREACHABLE_REDIS = f"redis://127.0.0.1:{_closed_port()}/0"

_KEYS = ("broker_url", "CELERY_BROKER_URL", "task_always_eager", "CELERY_TASK_ALWAYS_EAGER")


@contextlib.contextmanager
def celery_app_using(broker_url: str, *, eager: bool = False):
    """The Celery app publishes to ``broker_url`` (not eagerly) inside the block; its configuration and
    connection pools are restored afterwards. (The block's pools stay in kombu's global registry, keyed by
    broker URL, for the next block on the same URL: closing them would leave closed pools there.)"""
    from config.celery import app

    # Restore the layer of explicit changes exactly: a key set here that was not set before must go
    # again (Celery reads the CELERY_-prefixed spelling first, so a leftover one would shadow later changes).
    changes = app.conf.changes
    previous = {key: changes[key] for key in _KEYS if key in changes}
    pools = (app._pool, app.amqp._producer_pool)
    app.conf.update(dict(zip(_KEYS, (broker_url, broker_url, eager, eager), strict=True)))
    app._pool = app.amqp._producer_pool = None
    try:
        yield app
    finally:
        for key in _KEYS:
            changes.pop(key, None)
        changes.update(previous)
        app._pool, app.amqp._producer_pool = pools


def redis_client(url: str = TEST_REDIS_URL):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def database_url() -> str:
    """The test database, for a worker subprocess: over TCP, or the embedded server's Unix socket."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    socket_dir = (db.get("OPTIONS") or {}).get("host")
    if socket_dir:
        return f"postgres://{auth}@/{db['NAME']}?host={socket_dir}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def require_test_redis() -> None:
    """Skip (locally) when no Redis answers at TEST_REDIS_URL; CI promises Redis, so there it fails instead."""
    import pytest
    import redis

    if not TEST_REDIS_URL:
        if os.environ.get("CI"):
            raise RuntimeError("CI needs REDIS_URL or CELERY_TEST_REDIS_URL for the broker tests")
        pytest.skip("no Redis configured (REDIS_URL / CELERY_TEST_REDIS_URL)")
    try:
        redis_client().ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis is not running")


QUEUES = ("default", "sla", "health", "email", "webhooks")  # settings.CELERY_WORKER_QUEUES
BROKER_KEYS = (*QUEUES, "unacked", "unacked_index", "unacked_mutex")


def start_worker(log_path, *, hostname: str, pool: str = "solo", **env_extra: str):
    """A real Celery worker on TEST_REDIS_URL and the test database, in its own process group."""
    import subprocess
    import sys
    from pathlib import Path

    env = os.environ | {
        "REDIS_URL": TEST_REDIS_URL, "DATABASE_URL": database_url(), "CELERY_TASK_ALWAYS_EAGER": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings", "CSP_TESTING": "1", **env_extra,
    }
    log = open(log_path, "ab")  # noqa: SIM115 - closed by stop_worker
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}", "--concurrency=1",
           "-Q", ",".join(QUEUES), "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO", f"--hostname={hostname}@%h"]
    worker = subprocess.Popen(cmd, cwd=Path(__file__).resolve().parents[1], env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    worker.log_file = log
    return worker


def stop_worker(worker) -> None:
    import signal
    import subprocess

    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)  # any pool child left behind
    worker.log_file.close()


def wait_for_worker(app, worker, hostname: str, log_path, deadline: float) -> None:
    import time

    while not app.control.ping(destination=[f"{hostname}@{os.uname().nodename}"], timeout=0.5):
        assert worker.poll() is None and time.monotonic() < deadline, open(log_path).read()
