"""Shared fixtures. Two tenants, "acme" (alice) and "globex" (bob), as in Healthchecks' tests:
every page and endpoint is checked against the other tenant's objects (404)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories import MembershipFactory, TenantFactory, UserFactory, make_api_key
from tests.factories.tenancy import PASSWORD

pytest_plugins = ["tests.events_support"]  # the ``published`` fixture (domain events a write publishes)

# CI runs the same examples every time (no flaky red from a new random draw); locally they vary.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Request-triggered tasks run inline in tests; tests about the queue use a real worker instead."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield


@pytest.fixture(autouse=True)
def _email_locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def tenant(db):
    return TenantFactory(slug="acme", name="Acme Corp")


@pytest.fixture
def other_tenant(db):
    return TenantFactory(slug="globex", name="Globex")


@pytest.fixture
def alice(tenant):
    """Admin of acme."""
    user = UserFactory(email="alice@acme.example", full_name="Alice Admin")
    MembershipFactory(tenant=tenant, user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def bob(other_tenant):
    """Admin of globex."""
    user = UserFactory(email="bob@globex.example", full_name="Bob Other")
    MembershipFactory(tenant=other_tenant, user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def member(tenant):
    """Factory for acme members of any role: member(Role.CSM)."""

    def make(role=Role.CSM, email=None):
        user = UserFactory(**({"email": email} if email else {}))
        MembershipFactory(tenant=tenant, user=user, role=role)
        return user

    return make


@pytest.fixture
def in_tenant(tenant):
    with tenant_context(tenant):
        yield tenant


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def api(tenant):
    """API client with a read-write key for acme."""
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(tenant)}")
    return c


@pytest.fixture
def api_readonly(tenant):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(tenant, scopes=('read',))}")
    return c


@pytest.fixture
def other_api(other_tenant):
    """API client with a read-write key for globex."""
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(other_tenant)}")
    return c


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def chromium_browser(monkeypatch):
    """Debian's Chromium through Playwright's sync API (browser tests only; see tests/browser_support.py)."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM, CHROMIUM_ARGS

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium_browser):
    """A page that fails the test on any console error or uncaught page error."""
    console_errors: list[str] = []
    context = chromium_browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda msg: console_errors.append(f"{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: console_errors.append(f"pageerror: {exc}"))
    page.console_errors = console_errors
    yield page
    context.close()
    assert console_errors == [], f"browser console errors: {console_errors}"
