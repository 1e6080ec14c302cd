"""`bench surveys` at a tiny size: it seeds, answers every figure it promises, and reruns on the same data."""

from __future__ import annotations

import pytest

from accounts.models import Account
from advocacy import bench_surveys
from advocacy.models import SurveyResponse, SurveySend
from tenancy.context import tenant_context
from tenancy.models import Tenant


class Out:
    def __init__(self):
        self.lines: list[str] = []

    def write(self, line: str) -> None:
        self.lines.append(line)


@pytest.mark.django_db(transaction=True)  # the seed ends with VACUUM, which runs outside a transaction
def test_bench_surveys_runs_small_and_reuses_its_seed():
    options = {"accounts": 30, "responses": 600, "repeats": 1, "reseed": False, "recipients": 0}
    result = bench_surveys.run(options, Out())
    tenant = Tenant.objects.get(slug=bench_surveys.SLUG)
    with tenant_context(tenant):
        assert Account.objects.count() == 30 and SurveyResponse.objects.count() == 600
        assert not SurveySend.objects.exists()  # the bench campaign is removed afterwards
    nps = [row for row in result["metrics"] if row["metric"] == "nps"]
    assert len(nps) == 8 and all(row["queries"] > 0 for row in nps)
    three_years = next(r for r in nps if r["window"] == "three_years" and r["segment"] is None)["result"]
    assert three_years["responses"] == three_years["promoters"] + three_years["passives"] + three_years["detractors"]
    assert 0 < three_years["responses"] <= 600
    assert result["eligibility"]["accounts"] == 30
    assert result["campaign"]["recipients"] == 30 and result["campaign"]["sent"] == 30

    out = Out()
    bench_surveys.run(options | {"recipients": 10}, out)
    assert any("reusing 30 accounts, 600 responses" in line for line in out.lines)
