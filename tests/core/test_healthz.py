"""/healthz: 200 JSON naming the state of the database and the broker; no sign-in needed."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client, settings):
    settings.CELERY_BROKER_URL = "filesystem://"
    response = client.get("/healthz")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "filesystem", "cache": "ok"}


def test_healthz_with_redis_broker_names_its_state(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    from core import views

    monkeypatch.setattr(views, "broker_state", lambda: "error: OperationalError")
    body = client.get("/healthz").json()
    assert body["database"] == "ok" and body["broker"] == "error: OperationalError"


def test_healthz_when_the_database_is_down(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise RuntimeError("down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "error: RuntimeError"


def test_healthz_is_get_only(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_is_degraded_not_down_while_the_broker_is_unreachable(client, settings):
    """A real connection attempt to a closed port: 200, "degraded", the broker's error named."""
    from tests.celery_support import UNREACHABLE_REDIS, celery_app_using

    settings.CELERY_BROKER_URL = UNREACHABLE_REDIS
    with celery_app_using(UNREACHABLE_REDIS):
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded" and body["database"] == "ok" and body["broker"].startswith("error: ")


def test_healthz_is_degraded_while_the_cache_is_unreachable(client, monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    from tests.celery_support import UNREACHABLE_REDIS

    monkeypatch.setattr("django.core.cache.cache", RedisCache(UNREACHABLE_REDIS, {}))
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert response.json()["cache"].startswith("error: ")
