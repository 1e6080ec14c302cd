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
    connection pools are restored afterwards (the pools it made for the block are closed)."""
    from config.celery import app

    previous = {key: app.conf.get(key) for key in _KEYS}
    pools = (app._pool, app.amqp._producer_pool)
    app.conf.update(dict(zip(_KEYS, (broker_url, broker_url, eager, eager), strict=True)))
    app._pool = app.amqp._producer_pool = None
    try:
        yield app
    finally:
        for pool in (app.amqp._producer_pool, app._pool):
            if pool is not None:
                with contextlib.suppress(Exception):
                    pool.force_close_all()
        app.conf.update(previous)
        app._pool, app.amqp._producer_pool = pools


def redis_client(url: str = TEST_REDIS_URL):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
