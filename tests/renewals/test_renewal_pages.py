"""The renewal desk: the next 12 months' renewals by month, filters by CSM, segment and forecast, totals
per forecast category, a query count that does not grow with rows, and only the tenant's own renewals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
