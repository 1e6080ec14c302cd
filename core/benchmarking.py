"""What the benchmarks (``python manage.py bench NAME``) share: percentiles and rendering pages without
``collectstatic``. Each benchmark lives with its app (``<app>/bench*.py``)."""

from __future__ import annotations

import statistics

from django.conf import settings
from django.test.utils import override_settings


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) of timings in ms, one decimal; p95 is the nearest-rank sample."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return round(statistics.median(ordered), 1), round(p95, 1)


def plain_static_files():
    """The manifest storage needs ``collectstatic``; a bench renders pages without it."""
    return override_settings(STORAGES={
        **settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    })
