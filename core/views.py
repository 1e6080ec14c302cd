from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.broker import broker_state, cache_state


@require_GET
def healthz(request):
    """Liveness and dependencies (API.md): 200 with the state of the database, the broker and the cache;
    ``"status": "degraded"`` while the broker or the cache is unreachable; 503 only when the database is."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:  # noqa: BLE001 - report any failure as state
        database = f"error: {exc.__class__.__name__}"
    broker = broker_state()
    cache_ = cache_state()
    if database != "ok":
        return JsonResponse({"status": "degraded", "database": database, "broker": broker, "cache": cache_},
                            status=503)
    healthy = broker in ("ok", "filesystem") and cache_ == "ok"
    return JsonResponse({"status": "ok" if healthy else "degraded", "database": database, "broker": broker,
                         "cache": cache_})



@require_GET
def accessibility(request):
    """The accessibility statement (public: it is linked from every page's footer, signed in or not)."""
    return render(request, "core/accessibility.html")
