"""The dashboards benchmark runs end to end at a tiny size (seed, refresh, page, validation) and reports JSON
figures (every dashboard page timed); the seeded outcomes correlate with health, so the AUC is above a coin flip."""

from __future__ import annotations

import io

import pytest

from dashboards import bench

pytestmark = pytest.mark.django_db(transaction=True)  # the seed runs VACUUM (outside a transaction)


def test_bench_runs_at_a_tiny_size():
    options = {"accounts": 60, "tickets": 600, "open": 40, "snapshot_days": 200, "ledger_years": 3, "requests": 2,
               "repeats": 1, "reseed": False}
    out = io.StringIO()
    result = bench.run(options, out)
    assert result["benchmark"] == "dashboards" and result["tickets"] == 600
    assert result["refresh_first_rows"]["support"] > 0 and result["refresh_first_rows"]["portfolio"] > 0
    assert result["arr_movements"] > 60 and result["refresh_first_parts"]["retention"]["rows"] > 0
    assert set(result["pages"]) == {"portfolio", "portfolio_segment", "portfolio_csm", "my_book", "support",
                                    "score_validation", "retention_report"}
    assert result["pages"]["support"]["queries"] <= 12
    assert all(0 < page["p50_ms"] <= page["p95_ms"] for page in result["pages"].values())
    assert result["score_validation"]["outcomes"] == 60 and result["score_validation"]["auc"] is not None
    assert "reusing" not in out.getvalue()
    assert "CSAT answers about tickets" in out.getvalue()
    second = io.StringIO()
    bench.run(options, second)  # the same size again: the seeded tenant is reused
    assert "reusing the seeded bench tenant" in second.getvalue()
