"""The dashboard: the signed-in member's tenant only, a constant number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AccountFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_dashboard_numbers_are_the_tenants(alice_client, alice, tenant, other_tenant):
    today = timezone.localdate()
    mine = AccountFactory(tenant=tenant, arr=Decimal("100000"), csm=alice, renewal_date=today + timedelta(days=30))
    AccountFactory(tenant=tenant, arr=Decimal("50000"))
    AccountFactory(tenant=tenant, arr=Decimal("999"), status="churned")
    AccountFactory(tenant=other_tenant, arr=Decimal("7777777"))
    TaskFactory(account=mine, owner=alice, due_date=today - timedelta(days=1))
    TaskFactory(account=mine, owner=alice, due_date=today)
    response = alice_client.get(reverse("dashboard"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["portfolio"]["accounts"] == 2 and ctx["portfolio"]["total_arr"] == Decimal("150000")
    assert ctx["portfolio"]["mine"] == 1 and ctx["portfolio"]["renewals_90"] == 1
    assert ctx["tasks"] == {"open": 2, "overdue": 1, "due_today": 1, "onboarding_open": 0, "onboarding_overdue": 0,
                            "overdue_total": 1}
    assert b"7,777,777" not in response.content


def test_dashboard_needs_sign_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("n", [5, 50])
def test_dashboard_queries_do_not_grow(alice_client, alice, tenant, n, django_assert_max_num_queries):
    for account in AccountFactory.create_batch(n, tenant=tenant, csm=alice):
        TaskFactory(account=account, owner=alice)
    with django_assert_max_num_queries(11):
        assert alice_client.get(reverse("dashboard")).status_code == 200


def test_dashboard_overdue_counts_my_overdue_onboarding_tasks(client, tenant, member):
    """Issue 8: "Overdue" counts the user's own overdue onboarding tasks too (not anyone else's)."""
    import time_machine

    from tenancy.models import Role
    from tests.factories.onboarding import make_plan, make_template

    csm, other = member(Role.CSM), member(Role.CSM)
    make_template(tenant)
    make_plan(AccountFactory(tenant=tenant, csm=csm), start_date=timezone.localdate() - timedelta(days=10))
    make_plan(AccountFactory(tenant=tenant, csm=other), start_date=timezone.localdate() - timedelta(days=10))
    client.force_login(csm)
    with time_machine.travel(timezone.now(), tick=False):
        response = client.get(reverse("overview"))  # "/" sends a CSM to their book (workspace.landing)
    tasks = response.context["tasks"]
    # STANDARD_PHASES with no other members: every task falls to the CSM; on day 10 the kickoff (day 2) and
    # "Document success criteria" (day 6) are overdue. The other CSM's plan is not counted.
    assert (tasks["overdue"], tasks["onboarding_overdue"], tasks["overdue_total"]) == (0, 2, 2)
    assert tasks["onboarding_open"] == 6
    assert 'data-testid="overdue"><span class="text-red">2</span>' in response.content.decode()


def test_dashboard_links_the_other_dashboards(alice_client):
    body = alice_client.get("/").content.decode()
    for href in ("/dashboards/support/", "/renewals/retention/", "/surveys/report/", "/dashboards/score-validation/"):
        assert f'href="{href}"' in body, href
        assert alice_client.get(href).status_code == 200, href
