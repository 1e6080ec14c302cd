"""Retry timing, pure: exponential backoff with full jitter (no database, no clock)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def retry_delay_seconds(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): uniform in [0, min(cap, base * 2**(n-1))].

    Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): retries of many deliveries that failed
    together spread out instead of arriving at the receiver in waves.
    """
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    ceiling = min(cap, base * 2 ** min(attempt - 1, 62))
    return (rng or random).uniform(0, ceiling)


def next_attempt(now: datetime, attempt: int, *, retry_until: datetime, base: float, cap: float,
                 rng: random.Random | None = None) -> datetime | None:
    """When to try again after failed attempt ``attempt``, or None when that would be after ``retry_until``
    (the delivery has failed for good)."""
    if now >= retry_until:
        return None
    return min(now + timedelta(seconds=retry_delay_seconds(attempt, base=base, cap=cap, rng=rng)), retry_until)
