"""Branded 404 / 403 / 500 pages with DEBUG=False. The 500 page needs neither the database nor a tenant.

This module is also the URLconf of its tests: the project's URLs plus views that fail on purpose.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import path, reverse

from config import urls as project_urls
from tenancy.models import Role


def boom(request):
    raise RuntimeError("something broke")


def missing(request):
    raise Http404("No such ticket")


def forbidden(request):
    raise PermissionDenied("Your role may not do this (tickets.work).")


urlpatterns = [
    path("test-errors/boom/", boom),
    path("test-errors/missing/", missing),
    path("test-errors/forbidden/", forbidden),
    *project_urls.urlpatterns,
]
for name in ("handler400", "handler403", "handler404", "handler500"):
    if hasattr(project_urls, name):
        globals()[name] = getattr(project_urls, name)


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


@pytest.mark.django_db
def test_404_is_branded_and_keeps_the_navigation_for_members(alice_client):
    response = alice_client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and 'class="topbar"' in html and "Acme Corp" in html
    assert 'class="panel error-page"' in html and reverse("dashboard") in html
    assert alice_client.get("/test-errors/missing/").status_code == 404


@pytest.mark.django_db
def test_404_for_anonymous_visitors_offers_sign_in(client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and "Page not found" in html and reverse("login") in html
    assert 'class="topbar"' not in html


@pytest.mark.django_db
def test_403_is_branded_and_says_why(client, member):
    client.force_login(member(Role.VIEWER))
    response = client.get("/test-errors/forbidden/")
    html = response.content.decode()
    assert response.status_code == 403 and "Not allowed" in html and "tickets.work" in html
    assert 'class="topbar"' in html
    # A real one: a viewer on an admin page.
    assert "Not allowed" in client.get(reverse("settings_members")).content.decode()


def test_500_is_branded_and_needs_no_database():
    """No django_db mark: any query while handling the error would fail this test."""
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html and 'class="panel error-page"' in html
    assert "something broke" not in html and "Traceback" not in html


@pytest.mark.django_db
def test_500_for_a_signed_in_member_needs_no_tenant_either(alice_client):
    alice_client.raise_request_exception = False
    response = alice_client.get("/test-errors/boom/")
    assert response.status_code == 500 and "Something went wrong" in response.content.decode()
    assert "Acme Corp" not in response.content.decode()  # rendered without context: no tenant, no user
