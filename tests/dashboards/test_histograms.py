"""The log-spaced histograms: SQL and Python bucket alike, and quantiles read off them stay within a bucket."""

from __future__ import annotations

import math

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from dashboards.histograms import BUCKETS, EDGES, add, bucket_bounds, bucket_of, histogram, labels, quantile


def test_bucket_edges():
    assert [bucket_of(m) for m in (0, 0.99, 1, 1.5, 2, 3.99, 4, 65535.9, 65536, 10**7)] == [0, 0, 1, 1, 2, 2, 3, 16, 17, 17]
    assert bucket_bounds(0) == (0.0, 1.0) and bucket_bounds(17) == (65536.0, None)
    assert len(labels()) == BUCKETS and labels()[0] == "< 1 min" and labels()[-1] == "45.5 d+"


@pytest.mark.django_db
def test_sql_width_bucket_agrees_with_python():
    values = [0, 0.5, 1, 1.0001, 2, 31.9, 32, 1000, 65536, 200000]
    with connection.cursor() as cursor:
        cursor.execute("SELECT width_bucket(v, %s::float8[]) FROM unnest(%s::float8[]) v",
                       [list(map(float, EDGES)), values])
        assert [row[0] for row in cursor.fetchall()] == [bucket_of(v) for v in values]


def test_quantile_of_nothing_is_none():
    assert quantile([0] * BUCKETS, 0.5) is None


def test_quantile_examples():
    counts = histogram([30])  # one value in [16, 32)
    assert quantile(counts, 0.5) == 24.0  # halfway through its bucket
    assert quantile(counts, 1.0) == 32.0
    assert quantile(histogram([10**6]), 0.9) == 65536.0  # open-ended last bucket: its lower edge
    assert add([histogram([1, 2]), histogram([2]), []]) == histogram([1, 2, 2])


@given(st.lists(st.floats(min_value=0, max_value=10**6, allow_nan=False), min_size=1, max_size=200),
       st.sampled_from([0.5, 0.9]))
def test_quantile_lands_in_the_bucket_of_the_exact_quantile(values, q):
    """The estimate lies in the bucket that holds the exact nearest-rank quantile (a factor-2 error at most)."""
    ordered = sorted(values)
    exact = ordered[max(0, math.ceil(q * len(ordered)) - 1)]
    low, high = bucket_bounds(bucket_of(exact))
    estimate = quantile(histogram(values), q)
    assert low <= estimate <= (high if high is not None else low)
