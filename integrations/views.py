"""Settings pages for webhooks and Slack notifications (admins: ``integrations.manage``): add, edit, pause,
resume, test-send, delete; the delivery log with replay. Thin: services write, selectors read."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from base.errors import DomainError
from integrations import retention, selectors, services
from integrations.access import access_delivery, access_endpoint
from integrations.catalogue import SLACK_NOTIFICATIONS, WEBHOOK_EVENTS
from integrations.forms import ReplaySinceForm, SlackForm, WebhookForm
from integrations.models import EndpointKind
from tenancy.decorators import capability_required, tenant_required
from tenancy.permissions import INTEGRATIONS_MANAGE

LOG_PAGE_SIZE = 50


def _admin_page(view):
    return login_required(tenant_required(capability_required(INTEGRATIONS_MANAGE)(view)))


@_admin_page
@require_GET
def endpoints_page(request):
    rows = list(selectors.endpoints())
    return render(request, "integrations/endpoints.html", {
        "webhooks": [e for e in rows if e.kind == EndpointKind.WEBHOOK],
        "slacks": [e for e in rows if e.kind == EndpointKind.SLACK],
        "slack_labels": {k: n.label for k, n in SLACK_NOTIFICATIONS.items()},
        "breaker_failures": settings.WEBHOOK_BREAKER_FAILURES,
    })


def _form_class(kind: str):
    return SlackForm if kind == EndpointKind.SLACK else WebhookForm


def _save_form(request, form, *, kind: str, endpoint=None):
    """Create or change through the services; a refusal goes back onto the form (nothing written)."""
    data = dict(form.cleaned_data)
    try:
        if endpoint is None:
            return services.endpoint_create(tenant=request.tenant, kind=kind, **data)
        with transaction.atomic():
            locked = access_endpoint(endpoint.pk, principal=request.principal, for_write=True)
            return services.endpoint_update(endpoint=locked, **data)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return None


@_admin_page
@require_http_methods(["GET", "POST"])
def webhook_create(request):
    return _create(request, EndpointKind.WEBHOOK)


@_admin_page
@require_http_methods(["GET", "POST"])
def slack_create(request):
    return _create(request, EndpointKind.SLACK)


def _create(request, kind: str):
    form_class = _form_class(kind)
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid() and (endpoint := _save_form(request, form, kind=kind)) is not None:
            messages.success(request, f"Saved. Events are delivered to {endpoint.url} from now on.")
            return redirect("integrations:detail", pk=endpoint.pk)
        status = 400
    else:
        initial = {"secret": services.new_secret()} if kind == EndpointKind.WEBHOOK else {}
        form, status = form_class(initial=initial), 200
    return render(request, "integrations/endpoint_form.html", {"form": form, "kind": kind, "endpoint": None},
                  status=status)


@_admin_page
@require_http_methods(["GET", "POST"])
def endpoint_edit(request, pk: int):
    endpoint = access_endpoint(pk, principal=request.principal)
    form_class = _form_class(endpoint.kind)
    extra = {"editing": True} if endpoint.kind == EndpointKind.WEBHOOK else {}
    if request.method == "POST":
        form = form_class(request.POST, **extra)
        if form.is_valid() and _save_form(request, form, kind=endpoint.kind, endpoint=endpoint) is not None:
            messages.success(request, "Saved.")
            return redirect("integrations:detail", pk=endpoint.pk)
        status = 400
    else:
        initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
                   "active": endpoint.active, "max_in_flight": endpoint.max_in_flight}
        form, status = form_class(initial=initial, **extra), 200
    return render(request, "integrations/endpoint_form.html",
                  {"form": form, "kind": endpoint.kind, "endpoint": endpoint}, status=status)


@_admin_page
@require_GET
def endpoint_detail(request, pk: int):
    endpoint = access_endpoint(pk, principal=request.principal)
    return _detail_page(request, endpoint, ReplaySinceForm())


def _detail_page(request, endpoint, replay_form, status: int = 200):
    page = Paginator(selectors.deliveries(endpoint), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    labels = ({k: n.label for k, n in SLACK_NOTIFICATIONS.items()} if endpoint.kind == EndpointKind.SLACK
              else WEBHOOK_EVENTS)
    return render(request, "integrations/endpoint_detail.html", {
        "endpoint": endpoint, "page": page, "replay_form": replay_form,
        "subscribed": [(key, labels.get(key, key)) for key in endpoint.events],
        "retention_days": settings.WEBHOOK_RETENTION_DAYS,
    }, status=status)


@_admin_page
@require_POST
def endpoint_pause(request, pk: int):
    with transaction.atomic():
        endpoint = services.endpoint_pause(
            endpoint=access_endpoint(pk, principal=request.principal, for_write=True), reason="Paused by hand.")
    messages.success(request, "Paused: deliveries wait until you resume.")
    return redirect("integrations:detail", pk=endpoint.pk)


@_admin_page
@require_POST
def endpoint_resume(request, pk: int):
    with transaction.atomic():
        endpoint = access_endpoint(pk, principal=request.principal, for_write=True)
        waiting = services.endpoint_resume(endpoint=endpoint)
    messages.success(request, f"Resumed: {waiting} waiting deliveries are due now.")
    return redirect("integrations:detail", pk=endpoint.pk)


@_admin_page
@require_POST
def endpoint_test(request, pk: int):
    endpoint = access_endpoint(pk, principal=request.principal)
    was_paused = endpoint.is_paused
    result = services.endpoint_test_send(endpoint=endpoint)
    if result.ok:
        messages.success(request, f"Test delivered: HTTP {result.status} in {result.elapsed_ms} ms."
                         + (" The endpoint is resumed." if was_paused else ""))
    else:
        outcome = f"HTTP {result.status}" if result.status is not None else result.error
        messages.error(request, f"Test failed: {outcome}. " + (result.body_prefix[:200] if result.body_prefix else ""))
    return redirect("integrations:detail", pk=endpoint.pk)


@_admin_page
@require_POST
def endpoint_delete(request, pk: int):
    with transaction.atomic():
        endpoint = access_endpoint(pk, principal=request.principal, for_write=True)
        url = endpoint.url
        services.endpoint_delete(endpoint=endpoint)
    messages.success(request, f"Deleted the endpoint {url} and its delivery log.")
    return redirect("integrations:endpoints")


@_admin_page
@require_POST
def replay_since(request, pk: int):
    endpoint = access_endpoint(pk, principal=request.principal)
    form = ReplaySinceForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, endpoint, form, status=400)
    since = form.cleaned_data["since"].replace(tzinfo=request.tenant.tzinfo)
    with transaction.atomic():
        count = services.replay_since(
            endpoint=access_endpoint(pk, principal=request.principal, for_write=True), since=since)
    kept = (f" (events are kept {settings.WEBHOOK_RETENTION_DAYS} days: older ones are gone)"
            if since < retention.replay_horizon(timezone.now()) else "")
    messages.success(request, f"{count} deliveries since {since:%Y-%m-%d %H:%M} are due again{kept}.")
    return redirect("integrations:detail", pk=endpoint.pk)


@_admin_page
@require_POST
def delivery_replay(request, pk: int, delivery_pk: int):
    endpoint = access_endpoint(pk, principal=request.principal)
    try:
        with transaction.atomic():
            delivery = access_delivery(delivery_pk, endpoint=endpoint, principal=request.principal, for_write=True)
            services.delivery_replay(delivery=delivery)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Delivery {delivery.pk} ({delivery.event_id}) is due again.")
    return redirect("integrations:detail", pk=endpoint.pk)
