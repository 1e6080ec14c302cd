"""The dry-run benchmark runs end to end at a tiny size (seed, timed dry run) and reports JSON figures."""

from __future__ import annotations

import io

import pytest

from dashboards import bench_dry_run

pytestmark = pytest.mark.django_db(transaction=True)  # the seed runs VACUUM (outside a transaction)


def test_bench_runs_at_a_tiny_size():
    options = {"accounts": 40, "days": 92, "repeats": 1, "reseed": False}
    result = bench_dry_run.run(options, io.StringIO())
    assert result["benchmark"] == "scorecard-dry-run" and result["compared"] == 40
    assert result["distribution_points"] == 7 and result["history_days_read"] == 90
    assert result["outcomes"] == 40 and result["auc_current"] is not None  # every outcome found its snapshot
    assert 0 < result["changed"] < 40  # a higher green band moves some accounts, not all
    second = io.StringIO()
    bench_dry_run.run(options, second)
    assert "reusing the seeded bench tenant" in second.getvalue()
