from __future__ import annotations

from django.conf import settings


def broker_state() -> str:
    """"ok" when the Celery broker answers, "filesystem" for the local fallback, else an error word."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        return "filesystem"
    try:
        from config.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - report any failure as state
        return f"error: {exc.__class__.__name__}"


def cache_state() -> str:
    """"ok" when the Django cache answers (Redis, or the local-memory fallback), else an error word."""
    from django.core.cache import cache

    try:
        cache.get("healthz:probe")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - report any failure as state
        return f"error: {exc.__class__.__name__}"
