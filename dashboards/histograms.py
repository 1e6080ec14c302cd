"""Fixed log-spaced histograms of durations in minutes (pure, no database).

Bucket 0 holds [0, 1) minute; bucket k (1..16) holds [2**(k-1), 2**k) minutes; the last bucket (17) holds
2**16 minutes (about 45 days) and more. The SQL of the refresh (``width_bucket(minutes, EDGES)``) and
:func:`bucket_of` agree on every value. Quantiles are read off summed histograms: the rank's bucket, then
linear interpolation inside it (the open-ended last bucket answers its lower edge), so the error is bounded
by the bucket's width (a factor of 2).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

EDGES: tuple[int, ...] = tuple(2**k for k in range(17))  # 1, 2, 4, ..., 65536
BUCKETS = len(EDGES) + 1


def bucket_of(minutes: float) -> int:
    return bisect_right(EDGES, minutes)


def bucket_bounds(index: int) -> tuple[float, float | None]:
    low = 0.0 if index == 0 else float(EDGES[index - 1])
    high = float(EDGES[index]) if index < len(EDGES) else None
    return low, high


def histogram(values: Iterable[float]) -> list[int]:
    counts = [0] * BUCKETS
    for value in values:
        counts[bucket_of(value)] += 1
    return counts


def add(histograms: Iterable[Sequence[int]]) -> list[int]:
    total = [0] * BUCKETS
    for counts in histograms:
        for i, n in enumerate(counts or ()):
            total[i] += n
    return total


def quantile(counts: Sequence[int], q: float) -> float | None:
    """The q-quantile (0 < q <= 1) of the durations behind ``counts``; None when empty."""
    n = sum(counts)
    if n == 0:
        return None
    rank = q * n
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            low, high = bucket_bounds(index)
            if high is None:
                return low
            return low + (high - low) * max(0.0, rank - seen) / count
        seen += count
    return bucket_bounds(len(counts) - 1)[0]  # pragma: no cover - rank <= n always lands above


def labels() -> list[str]:
    """Human labels of the buckets, for the distribution charts' table view."""
    out = []
    for index in range(BUCKETS):
        low, high = bucket_bounds(index)
        out.append(f"< {_fmt(high)}" if index == 0 else f"{_fmt(low)}+" if high is None else f"{_fmt(low)}-{_fmt(high)}")
    return out


def _fmt(minutes: float | None) -> str:
    if minutes is None:
        return ""
    if minutes < 60:
        return f"{minutes:.3g} min"
    if minutes < 2880:
        return f"{minutes / 60:.3g} h"
    return f"{minutes / 1440:.3g} d"
