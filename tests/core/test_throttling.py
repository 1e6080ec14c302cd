import pytest
from django.core.cache import cache

from core.api.throttling import PrincipalRateThrottle


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_each_key_has_its_own_bucket_and_429_names_retry_after(api, other_api, monkeypatch):
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "3/min"})
    assert [api.get("/api/v1/accounts/").status_code for _ in range(3)] == [200, 200, 200]
    limited = api.get("/api/v1/accounts/")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert other_api.get("/api/v1/accounts/").status_code == 200  # another key is not affected


@pytest.mark.django_db
def test_unauthenticated_requests_are_401_not_throttled(client):
    for _ in range(5):
        assert client.get("/api/v1/accounts/").status_code == 401


def _principal_request(api_key):
    from types import SimpleNamespace

    from tenancy.principal import Principal

    return SimpleNamespace(user=Principal(tenant=None, api_key=api_key))


def test_concurrent_requests_never_exceed_the_limit(monkeypatch):
    """16 threads at once through a 40/min bucket: exactly 40 pass (a read-then-write count lets more through)."""
    import threading
    from types import SimpleNamespace

    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "40/min"})
    request = _principal_request(SimpleNamespace(pk=424242))
    start = threading.Barrier(16)
    allowed: list[bool] = []

    def client():
        start.wait()
        for _ in range(10):
            allowed.append(PrincipalRateThrottle().allow_request(request, None))

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 160 and allowed.count(True) == 40


@pytest.mark.django_db(transaction=True)
def test_concurrent_api_calls_through_a_small_limit(api, monkeypatch):
    """The same through the API (committed key, one connection per thread): 16 threads x 6 calls, limit 30."""
    import threading

    from django.db import connection
    from rest_framework.test import APIClient

    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "30/min"})
    auth = api._credentials["HTTP_AUTHORIZATION"]
    start = threading.Barrier(16)
    codes: list[int] = []

    def client():
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=auth)
        start.wait()
        try:
            for _ in range(6):
                codes.append(c.get("/api/v1/accounts/").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(codes)) == [200, 429] and codes.count(200) == 30


@pytest.mark.django_db
def test_the_limiter_fails_open_with_a_warning_when_the_cache_is_down(api, monkeypatch, caplog):
    from django.core.cache.backends.redis import RedisCache

    from core.api import throttling

    down = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
    monkeypatch.setattr(PrincipalRateThrottle, "cache", down)
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "1/min"})
    monkeypatch.setitem(throttling._last_warning, "at", float("-inf"))
    with caplog.at_level("WARNING", logger="core.api.throttling"):
        assert [api.get("/api/v1/accounts/").status_code for _ in range(3)] == [200, 200, 200]
    assert [r.levelname for r in caplog.records if "failing open" in r.getMessage()] == ["WARNING"]  # once, not per call
