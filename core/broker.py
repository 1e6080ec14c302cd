from __future__ import annotations

from celery import current_app
from django.conf import settings
from django.core import cache as django_cache  # read at call time: the default cache as configured now


def broker_state() -> str:
    """"ok" when the Celery broker answers, "filesystem" for the local fallback, else an error word."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        return "filesystem"
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - report any failure as state
        return f"error: {exc.__class__.__name__}"


def cache_state() -> str:
    """"ok" when the Django cache answers (Redis, or the local-memory fallback), else an error word."""
    try:
        django_cache.cache.get("healthz:probe")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - report any failure as state
        return f"error: {exc.__class__.__name__}"
