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
