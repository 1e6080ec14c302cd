from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.broker import broker_state
from core.dashboard import dashboard_summary
from tenancy.decorators import tenant_required


@require_GET
def healthz(request):
    """Liveness and dependencies: 200 with the state of the database and the broker (503 if the database is down)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:  # noqa: BLE001 - report any failure as state
        database = f"error: {exc.__class__.__name__}"
    broker = broker_state()
    status = 200 if database == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "degraded", "database": database, "broker": broker}, status=status)


@login_required
@tenant_required
def dashboard(request):
    return render(request, "core/dashboard.html", dashboard_summary(user=request.user))
