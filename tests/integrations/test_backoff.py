"""Backoff with full jitter, pure: bounds, the cap, and the end of the retry window."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.backoff import next_attempt, retry_delay_seconds

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@given(attempt=st.integers(1, 500), base=st.floats(0.001, 600), cap=st.floats(1, 86400), seed=st.integers())
def test_the_delay_is_within_full_jitter_bounds(attempt, base, cap, seed):
    delay = retry_delay_seconds(attempt, base=base, cap=cap, rng=random.Random(seed))
    assert 0 <= delay <= min(cap, base * 2 ** min(attempt - 1, 62))


def test_the_delays_spread_and_grow():
    rng = random.Random(7)
    first = [retry_delay_seconds(1, base=30, cap=3600, rng=rng) for _ in range(500)]
    fifth = [retry_delay_seconds(5, base=30, cap=3600, rng=rng) for _ in range(500)]
    assert max(first) <= 30 and max(fifth) <= 480 and sum(fifth) / 500 > 4 * sum(first) / 500
    assert len({round(d, 3) for d in first}) > 400  # jittered, not in waves


@given(attempt=st.integers(1, 80), left=st.integers(0, 200_000))
def test_the_next_attempt_never_passes_the_window(attempt, left):
    until = NOW + timedelta(seconds=left)
    when = next_attempt(NOW, attempt, retry_until=until, base=30, cap=3600, rng=random.Random(1))
    if left == 0:
        assert when is None
    else:
        assert NOW <= when <= until


def test_attempt_is_one_based():
    with pytest.raises(ValueError):
        retry_delay_seconds(0, base=1, cap=1)
