"""The renewal desk: the next 12 months' renewals by month, filters by CSM, segment and forecast, totals
per forecast category, a query count that does not grow with rows, and only the tenant's own renewals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from renewals import ledger_services, renewal_services
from renewals.models import Renewal
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories import AccountFactory, RenewalFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
DESK = "/renewals/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-03-15 12:00:00+00:00", tick=False):
        yield


def renewal(tenant, name, end, arr, forecast, **account):
    return RenewalFactory(account=AccountFactory(tenant=tenant, name=name, arr=D(arr), **account), contract_end=end,
                          arr=D(arr), forecast=forecast)


@pytest.fixture
def world(tenant, other_tenant, alice):
    carla = UserFactory(full_name="Carla CSM")
    renewal(tenant, "Falcon Networks", date(2026, 3, 16), "42000", "at_risk", csm=carla, health_status="red",
            health_score=D("42"))
    renewal(tenant, "Initech", date(2026, 5, 2), "180000", "commit", health_status="green")
    renewal(tenant, "Hooli", date(2027, 2, 28), "9000", "probable")
    renewal(tenant, "Too Late", date(2027, 3, 1), "1000", "probable")  # beyond the 12 months
    renewal(tenant, "Long Gone", date(2026, 2, 27), "1000", "probable")  # last month
    closed = renewal(tenant, "Umbrella", date(2026, 3, 20), "5000", "commit")
    closed.outcome, closed.renewed_arr, closed.stage = "renewed", D("5000"), "closed"
    closed.save()
    renewal(other_tenant, "Globex Secret", date(2026, 4, 1), "77000", "commit")
    return {"carla": carla}


def test_the_desk_groups_the_next_12_months(alice_client, world):
    response = alice_client.get(DESK)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Falcon Networks", "Initech", "Hooli", "Umbrella", "March 2026", "February 2027"):
        assert name in html
    for name in ("Too Late", "Long Gone", "Globex Secret", "March 2027"):
        assert name not in html
    desk = response.context["desk"]
    assert [m["start"] for m in desk["months"]][:3] == [date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]
    march = desk["months"][0]
    assert [r.account.name for r in march["renewals"]] == ["Falcon Networks", "Umbrella"]
    assert march["renewals"][0].days_left == 1 and march["arr"] == D("47000")
    # Totals per forecast count the open renewals only.
    totals = {t["key"]: (t["count"], t["arr"]) for t in desk["totals"]}
    assert totals == {"commit": (1, D("180000")), "probable": (1, D("9000")), "at_risk": (1, D("42000")), "lost": (0, D("0"))}
    assert desk["open_arr"] == D("231000")


def test_filters(alice_client, world):
    names = lambda **q: [r.account.name for m in alice_client.get(DESK, q).context["desk"]["months"] for r in m["renewals"]]  # noqa: E731
    assert names(csm=str(world["carla"].pk)) == ["Falcon Networks"]
    assert "Falcon Networks" not in names(csm="none")
    assert names(forecast="commit") == ["Umbrella", "Initech"]
    assert names(segment="enterprise") == ["Initech"]
    assert names(csm="x", forecast="bogus") == names()
    partial = alice_client.get(DESK, {"forecast": "at_risk"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"Falcon Networks" in partial.content


def test_the_query_count_does_not_grow_with_rows(alice_client, tenant, world):
    alice_client.get(DESK)
    with CaptureQueriesContext(connection) as few:
        alice_client.get(DESK)
    for i in range(20):
        renewal(tenant, f"More {i}", date(2026, 6, 1 + i), "1000", "probable", csm=UserFactory())
    with CaptureQueriesContext(connection) as many:
        alice_client.get(DESK)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_month_lists_its_soonest_renewals_and_counts_them_all(alice_client, tenant, world):
    """At scale a month holds thousands of renewals: it lists the 10 soonest (filters narrow the list), while
    its count, its ARR and the totals per forecast cover them all, so the page's cost does not grow."""
    for i in range(14):
        renewal(tenant, f"June {i:02d}", date(2026, 6, 1 + i), "1000", "probable")
    desk = alice_client.get(DESK).context["desk"]
    june = next(m for m in desk["months"] if m["start"] == date(2026, 6, 1))
    assert [r.account.name for r in june["renewals"]] == [f"June {i:02d}" for i in range(10)]
    assert (june["count"], june["more"], june["arr"]) == (14, 4, D("14000"))
    totals = {t["key"]: t["count"] for t in desk["totals"]}
    assert totals["probable"] == 15
    html = alice_client.get(DESK).content.decode()
    assert "14 renewals" in html and "4 more this month" in html
    assert 'href="?month=2026-06">Show all 14 renewals of June 2026</a>' in html
    assert names_in(alice_client, forecast="at_risk") == ["Falcon Networks"]


def test_show_all_of_a_month_lists_every_renewal_of_that_month_alone(alice_client, tenant, world):
    for i in range(14):
        renewal(tenant, f"June {i:02d}", date(2026, 6, 1 + i), "1000", "probable")
    renewal(tenant, "June at risk", date(2026, 6, 20), "500", "at_risk")
    desk = alice_client.get(DESK, {"month": "2026-06"}).context["desk"]
    assert [m["start"] for m in desk["months"]] == [date(2026, 6, 1)]
    assert len(desk["months"][0]["renewals"]) == 15 and desk["months"][0]["more"] == 0
    assert names_in(alice_client, month="2026-06", forecast="at_risk") == ["June at risk"]
    html = alice_client.get(DESK, {"month": "2026-06", "segment": "smb"}).content.decode()
    assert 'href="?segment=smb">← All 12 months</a>' in html and 'name="month" value="2026-06"' in html
    # A month outside the next 12 (or nonsense) shows the whole desk.
    assert len(alice_client.get(DESK, {"month": "2031-01"}).context["desk"]["months"]) == 12
    assert len(alice_client.get(DESK, {"month": "june"}).context["desk"]["months"]) == 12


def names_in(client, **query):
    return [r.account.name for m in client.get(DESK, query).context["desk"]["months"] for r in m["renewals"]]


# --- the renewal page and the account panel --------------------------------------------------------


@pytest.fixture
def open_renewal(tenant):
    account = AccountFactory(tenant=tenant, name="Falcon Networks", arr=D("50000"), renewal_date=date(2026, 4, 1),
                             health_status="red", health_score=D("42"))
    with tenant_context(tenant):
        ledger_services.ledger_open_missing(tenant=tenant)
        return renewal_services.renewal_create(account=account, contract_end=date(2026, 4, 1))


def test_the_renewal_page_shows_motions_and_forecast_history(alice_client, alice, open_renewal):
    page = alice_client.get(f"/renewals/{open_renewal.pk}/").content.decode()
    assert "Renewal, 90 days out" in page and "At risk" in page and "nobody has overridden it" in page
    response = alice_client.post(f"/renewals/{open_renewal.pk}/forecast/", {"forecast": "commit", "forecast_reason": ""})
    assert response.status_code == 400 and "Say why" in response.content.decode()
    response = alice_client.post(f"/renewals/{open_renewal.pk}/forecast/",
                                 {"forecast": "commit", "forecast_reason": "PO signed"})
    assert response.status_code == 302
    page = alice_client.get(f"/renewals/{open_renewal.pk}/").content.decode()
    assert "overridden by Alice Admin" in page and "Renewal forecast: Commit" in page and "PO signed" in page


def test_recording_the_outcome_on_the_page(alice_client, open_renewal):
    url = f"/renewals/{open_renewal.pk}/outcome/"
    bad = alice_client.post(url, {"outcome": "expanded", "renewed_arr": "40000"})
    assert bad.status_code == 400 and "above the current" in bad.content.decode()
    assert Renewal.all_tenants.get(pk=open_renewal.pk).outcome is None
    response = alice_client.post(url, {"outcome": "expanded", "renewed_arr": "65000"})
    assert response.status_code == 302 and response["Location"] == f"/accounts/{open_renewal.account_id}/"
    account = Account.all_tenants.get(pk=open_renewal.account_id)
    assert (account.arr, account.renewal_date) == (D("65000"), date(2027, 4, 1))
    panel = alice_client.get(f"/accounts/{account.pk}/").content.decode()
    assert "Expanded (renewed ARR 65,000)" in panel
    again = alice_client.post(url, {"outcome": "churned"})
    assert again.status_code == 409


def test_a_viewer_may_not_record_an_outcome(client, member, open_renewal):
    client.force_login(member(Role.VIEWER))
    assert client.post(f"/renewals/{open_renewal.pk}/outcome/", {"outcome": "churned"}).status_code == 403
    assert "Record the outcome" not in client.get(f"/renewals/{open_renewal.pk}/").content.decode()
    assert Renewal.all_tenants.get(pk=open_renewal.pk).outcome is None


def test_months_past_the_window_show_the_accounts_renewing_without_a_renewal_yet(alice_client, tenant, world):
    AccountFactory(tenant=tenant, name="Later A", arr=D("30000"), renewal_date=date(2026, 10, 5), segment="smb")
    AccountFactory(tenant=tenant, name="Later B", arr=D("20000"), renewal_date=date(2026, 10, 20), segment="enterprise")
    AccountFactory(tenant=tenant, name="Gone", arr=D("9000"), renewal_date=date(2026, 10, 9), status="churned")
    desk = alice_client.get(DESK).context["desk"]
    october = next(m for m in desk["months"] if m["start"] == date(2026, 10, 1))
    assert october["renewals"] == [] and october["upcoming"] == {"count": 2, "arr": D("50000")}
    html = alice_client.get(DESK).content.decode()
    assert "2 accounts renew this month (ARR 50,000) with no renewal opened yet: their renewals open 120 days" in html
    smb = alice_client.get(DESK, {"segment": "smb"}).context["desk"]
    assert next(m for m in smb["months"] if m["start"] == date(2026, 10, 1))["upcoming"]["count"] == 1
    at_risk = alice_client.get(DESK, {"forecast": "at_risk"}).context["desk"]
    assert all(m["upcoming"]["count"] == 0 for m in at_risk["months"])  # no forecast before a renewal opens
