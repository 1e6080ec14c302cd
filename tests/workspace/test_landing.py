"""Issue 13: each role lands on its dashboard after signing in and on "/" (the brand link); ``?next=`` wins."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenancy.models import Role
from tests.factories import MembershipFactory, TenantFactory
from tests.factories.tenancy import PASSWORD

LANDINGS = {
    Role.VP: "/dashboards/portfolio/",
    Role.CSM: "/dashboards/my-book/",
    Role.SUPPORT_MANAGER: "/dashboards/support/",
    Role.SUPPORT_ENGINEER: "/dashboards/support/",
    Role.ADMIN: "/",
    Role.ONBOARDING_SPECIALIST: "/",
    Role.VIEWER: "/",
}


def sign_in(client, email: str, **query):
    url = reverse("login") + (f"?next={query['next']}" if "next" in query else "")
    return client.post(url, {"username": email, "password": PASSWORD, **query}, follow=True)


def test_every_role_has_a_landing():
    assert set(LANDINGS) == set(Role.values)


@pytest.mark.parametrize("role", list(LANDINGS))
def test_signing_in_lands_on_the_roles_dashboard(client, member, role):
    user = member(role)
    response = sign_in(client, user.email)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == LANDINGS[role]
    if LANDINGS[role] == "/":
        assert response.templates[0].name == "workspace/dashboard.html"  # the overview, not a redirect
    else:
        assert response.redirect_chain[-1][0] == LANDINGS[role]
    # The brand link ("/") leads to the same page.
    again = client.get(reverse("dashboard"))
    assert again.status_code == (200 if LANDINGS[role] == "/" else 302)
    if again.status_code == 302:
        assert again["Location"] == LANDINGS[role]


def test_next_wins_over_the_landing(client, member):
    user = member(Role.VP)
    response = sign_in(client, user.email, next="/tickets/")
    assert response.request["PATH_INFO"] == "/tickets/"
    assert [url for url, _ in response.redirect_chain] == ["/tickets/"]


def test_an_offsite_next_falls_back_to_the_landing(client, member):
    user = member(Role.CSM)
    response = sign_in(client, user.email, next="https://evil.example/")
    assert response.request["PATH_INFO"] == "/dashboards/my-book/"


def test_the_role_of_the_current_tenant_decides(client, tenant, member):
    """A CSM in acme who is a support engineer elsewhere lands by the role where they are working now."""
    user = member(Role.CSM)
    elsewhere = TenantFactory(slug="globex-landing", name="Globex Landing")
    MembershipFactory(tenant=elsewhere, user=user, role=Role.SUPPORT_ENGINEER)
    client.force_login(user)
    client.post(reverse("switch_tenant"), {"tenant_id": tenant.pk})
    assert client.get("/")["Location"] == "/dashboards/my-book/"
    client.post(reverse("switch_tenant"), {"tenant_id": elsewhere.pk})
    assert client.get("/")["Location"] == "/dashboards/support/"


@pytest.mark.parametrize("role", [Role.VP, Role.CSM, Role.SUPPORT_ENGINEER])
def test_the_overview_stays_reachable_for_everyone(client, member, role, django_assert_max_num_queries):
    client.force_login(member(role))
    with django_assert_max_num_queries(11):
        response = client.get(reverse("overview"))
    assert response.status_code == 200 and b"<h1>Dashboard</h1>" in response.content


def test_the_dashboard_pages_link_each_other(client, member):
    client.force_login(member(Role.VIEWER))
    body = client.get(reverse("dashboards:support")).content.decode()
    for url in ("/dashboards/portfolio/", "/dashboards/my-book/", "/dashboards/support/", "/overview/"):
        assert f'href="{url}"' in body
    assert '<nav class="tabs" aria-label="Dashboards">' in body
