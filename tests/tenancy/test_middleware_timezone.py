"""Pages render in the tenant's time zone; the API stays in UTC for keys and sessions alike."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.utils import timezone

from tenancy.middleware import TenantMiddleware


def _zone_seen(path, user):
    seen = {}

    def get_response(request):
        seen["zone"] = timezone.get_current_timezone_name()
        return None

    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    TenantMiddleware(get_response)(request)
    return seen["zone"]


@pytest.mark.django_db
def test_pages_use_the_tenant_zone_and_the_api_utc(tenant, alice):
    tenant.timezone = "America/Los_Angeles"
    tenant.save()
    assert _zone_seen("/accounts/", alice) == "America/Los_Angeles"
    assert _zone_seen("/api/v1/accounts/", alice) == "UTC"
    assert timezone.get_current_timezone_name() == "UTC"  # restored after the request
