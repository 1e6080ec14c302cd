"""The dashboards benchmark runs end to end at a tiny size (seed, refresh, page, validation) and reports JSON
figures; the seeded outcomes correlate with health, so the AUC is above a coin flip."""

from __future__ import annotations

import io

import pytest

from dashboards import bench

pytestmark = pytest.mark.django_db(transaction=True)  # the seed runs VACUUM (outside a transaction)


def test_bench_runs_at_a_tiny_size():
    options = {"accounts": 60, "tickets": 600, "open": 40, "snapshot_days": 200, "requests": 2, "repeats": 1,
               "reseed": False}
    out = io.StringIO()
    result = bench.run(options, out)
    assert result["benchmark"] == "dashboards" and result["tickets"] == 600
    assert result["refresh_first_rows"]["support"] > 0 and result["refresh_first_rows"]["portfolio"] > 0
    assert result["support_page"]["queries"] <= 12
    assert result["score_validation"]["outcomes"] == 60 and result["score_validation"]["auc"] is not None
    assert "reusing" not in out.getvalue()
    assert "CSAT answers about tickets" in out.getvalue()
    second = io.StringIO()
    bench.run(options, second)  # the same size again: the seeded tenant is reused
    assert "reusing the seeded bench tenant" in second.getvalue()
