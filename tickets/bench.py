"""SLA scan and support queue at scale: `python manage.py bench tickets --tickets 1000000 --open 50000`.

Seeds a bench tenant once (COPY; reused while its size matches, ``--reseed`` to rebuild): accounts,
support engineers, ``--tickets`` tickets of which ``--open`` are unresolved, with SLA fields as the
engine would have left them at the seed's reference instant. Then it times:

* the SLA scan one minute after the reference instant (the boundaries that passed in that minute),
  and an hour after it (a backlog), each inside a rolled-back transaction so runs are repeatable;
* the first page of the queue: a GET of the queue page through Django's test client when the page
  exists (middleware, selector, template), else the selector plus serialising the 50 rows; p50/p95
  over ``--requests`` requests, and the number of queries one request runs. Page and selector are timed in
  alternation, so that both see the same machine load (``page_to_selector_p95`` compares them);
* the served queue page under load: gunicorn as in production (``DEBUG=0``, manifest static files collected
  into a temporary directory, sync workers) on a free loopback port, ``--clients`` concurrent signed-in
  clients for ``--seconds`` seconds (at most ``--max-requests`` requests in all); requests, errors, p50/p95.
  Gunicorn is stopped at the end whatever happens (``tickets.bench_served``). ``--clients 0`` skips it.
"""

from __future__ import annotations

import io
import random
import time
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from accounts.models import Account
from core.benchmarking import percentiles, plain_static_files
from tenancy.context import tenant_context
from tenancy.models import Membership, Role, Tenant, User
from tickets import selectors, sla_engine
from tickets.bench_served import concurrent_run
from tickets.models import Ticket, TicketNumberSequence

SLUG = "bench-tickets"
ACCOUNTS = 5000
ENGINEERS = 25
TARGETS = {1: (60, 240), 2: (240, 480), 3: (480, 1440), 4: (1440, 7200)}
SEVERITIES = [1] * 5 + [2] * 15 + [3] * 45 + [4] * 35
SUBJECTS = ["Search returns no results", "Ingestion job stuck", "SSO login loop", "Export fails", "Slow dashboard",
            "API rate limit errors", "Wrong citations", "Permission question", "Webhook delays", "Billing question"]
COLUMNS = (
    "tenant_id", "number", "account_id", "subject", "description", "severity", "status", "channel", "assignee_id",
    "support_level", "tags", "opened_at", "first_response_at", "resolved_at", "closed_at", "updated_at", "sla_clock",
    "response_target_minutes", "resolution_target_minutes", "response_due_at", "response_at_risk_at",
    "response_state", "resolution_due_at", "resolution_at_risk_at", "resolution_state", "resolution_elapsed_minutes",
    "resolution_clock_started_at", "escalate_at", "escalated_at",
)
NULL = "\\N"


def add_arguments(parser) -> None:
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=100, help="Timed requests of the page (and of its selector)")
    parser.add_argument("--reseed", action="store_true", help="Rebuild the bench tenant's tickets")
    parser.add_argument("--clients", type=int, default=20, help="Concurrent clients against the served page (0: skip)")
    parser.add_argument("--seconds", type=float, default=30.0, help="How long the concurrent run lasts")
    parser.add_argument("--max-requests", type=int, default=50_000, help="Bound on the concurrent run's requests")
    parser.add_argument("--workers", type=int, default=4, help="Gunicorn workers (the production image runs 4)")


def _ts(value: datetime | None) -> str:
    return NULL if value is None else value.isoformat()


def _state(at_risk: datetime, due: datetime, ref: datetime) -> str:
    return "breached" if due < ref else "at_risk" if at_risk <= ref else "on_track"


def _openings(total: int, unresolved: int, ref: datetime, rng: random.Random) -> list[tuple[datetime, bool]]:
    """When each ticket was opened, in number order (numbers follow time, as in production): the resolved
    history spreads over two years, the unresolved tickets are mostly from the last days."""
    history = [(ref - timedelta(minutes=1440 * (1 + 729 * rng.random() ** 1.5)), False)
               for _ in range(total - unresolved)]
    recent = [(ref - timedelta(minutes=7 * 1440 * rng.random() ** 2), True) for _ in range(unresolved)]
    return sorted(history + recent, key=lambda item: item[0])


def _row(number: int, *, opened: datetime, unresolved: bool, ref: datetime, rng: random.Random, tenant_id: int,
         accounts: list[int], engineers: list[int]) -> str:
    severity = rng.choice(SEVERITIES)
    response, resolution = TARGETS[severity]
    response_due, response_risk = opened + timedelta(minutes=response), opened + timedelta(minutes=0.75 * response)
    resolution_due = opened + timedelta(minutes=resolution)
    resolution_risk = opened + timedelta(minutes=0.75 * resolution)
    escalate_at = opened + timedelta(days=1)
    first_response = resolved = closed = clock_started = None
    elapsed = 0.0
    assignee = rng.choice(engineers)
    responded_at = opened + timedelta(minutes=response * rng.uniform(0.1, 1.3))
    if not unresolved:
        first_response = responded_at
        resolved = min(opened + timedelta(minutes=resolution * rng.uniform(0.2, 1.3)),
                       ref - timedelta(minutes=rng.uniform(1, 600)))
        resolved = max(resolved, opened + timedelta(minutes=1))
        first_response = min(first_response, resolved)
        closed = resolved + timedelta(days=2) if rng.random() < 0.9 and resolved + timedelta(days=2) < ref else None
        status = "closed" if closed else "resolved"
        response_state = "met" if first_response <= response_due else "breached"
        resolution_state = "met" if resolved <= resolution_due else "breached"
        elapsed = (resolved - opened) / timedelta(minutes=1)
    else:
        if rng.random() < 0.7 and responded_at < ref:
            first_response = responded_at
            response_state = "met" if first_response <= response_due else "breached"
            status = "pending_customer" if rng.random() < 0.25 else "open"
        else:
            response_state = _state(response_risk, response_due, ref)
            status = "new" if rng.random() < 0.6 else "open"
            assignee = None if status == "new" else assignee
        if status == "pending_customer":
            elapsed = (first_response - opened) / timedelta(minutes=1)
            resolution_state = "breached" if elapsed >= resolution else "paused"
            if resolution_state == "paused":
                resolution_due = resolution_risk = None
        else:
            clock_started = opened
            resolution_state = _state(resolution_risk, resolution_due, ref)
    breached = "breached" in (response_state, resolution_state)
    escalated_at = None
    if status in ("new", "open", "resolved", "closed") and (escalate_at <= (resolved or ref) or breached):
        escalated_at = min(escalate_at, response_due if response_state == "breached" else escalate_at,
                           resolution_due if resolution_state == "breached" and resolution_due else escalate_at)
    fields = (
        tenant_id, number, rng.choice(accounts), rng.choice(SUBJECTS), "", severity, status,
        rng.choice(("email", "portal", "chat", "phone", "api")), NULL if assignee is None else assignee,
        2 if escalated_at else 1, "{}", _ts(opened), _ts(first_response), _ts(resolved), _ts(closed),
        _ts(closed or resolved or first_response or opened), "24x7", response, resolution, _ts(response_due),
        _ts(response_risk), response_state, _ts(resolution_due), _ts(resolution_risk), resolution_state, elapsed,
        _ts(clock_started), _ts(escalate_at), _ts(escalated_at),
    )
    return "\t".join(str(value) for value in fields) + "\n"


def _seed(tenant, options, out) -> datetime:
    total, unresolved = options["tickets"], options["open"]
    ref = datetime.now(UTC).replace(second=0, microsecond=0)
    rng = random.Random(2026)
    out.write(f"seeding {total:,} tickets ({unresolved:,} unresolved) for {SLUG}...")
    with connection.cursor() as cursor:  # set-based: Django's cascade would load every id
        for table in ("tickets_ticketslaevent", "tickets_ticketchange", "tickets_ticketattachment",
                      "tickets_inboundemail", "tickets_ticketcomment", "tickets_ticket"):
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
    if Account.all_tenants.filter(tenant=tenant).count() < ACCOUNTS:
        Account.all_tenants.bulk_create(
            [Account(tenant=tenant, name=f"Bench account {i:05d}", segment=rng.choice(["enterprise", "mid_market", "smb"]),
                     arr=rng.randint(5, 400) * 1000) for i in range(ACCOUNTS)],
            batch_size=5000,
        )
    for i in range(ENGINEERS):
        user, _ = User.objects.get_or_create(email=f"engineer{i}@bench-tickets.example",
                                             defaults={"full_name": f"Engineer {i}"})
        Membership.all_tenants.get_or_create(tenant=tenant, user=user, defaults={"role": Role.SUPPORT_ENGINEER})
    accounts = list(Account.all_tenants.filter(tenant=tenant).values_list("pk", flat=True))
    engineers = list(Membership.all_tenants.filter(tenant=tenant).values_list("user_id", flat=True))
    openings = _openings(total, unresolved, ref, rng)
    started = time.monotonic()
    chunk = 100_000
    with connection.cursor() as cursor:
        for low in range(1, total + 1, chunk):
            buffer = io.StringIO()
            for number in range(low, min(total + 1, low + chunk)):
                opened, is_open = openings[number - 1]
                buffer.write(_row(number, opened=opened, unresolved=is_open, ref=ref, rng=rng, tenant_id=tenant.pk,
                                  accounts=accounts, engineers=engineers))
            buffer.seek(0)
            cursor.copy_expert(f"COPY tickets_ticket ({', '.join(COLUMNS)}) FROM STDIN", buffer)
            out.write(f"  {min(total, low + chunk - 1):,} rows ({time.monotonic() - started:.0f}s)")
    with connection.cursor() as cursor:  # what autovacuum would have done by now (outside a transaction)
        cursor.execute("VACUUM ANALYZE tickets_ticket")
    TicketNumberSequence.all_tenants.update_or_create(tenant=tenant, defaults={"last_number": total})
    settings = dict(tenant.settings or {})
    settings["bench_reference"] = ref.isoformat()
    settings["bench_size"] = [total, unresolved]
    tenant.settings = settings
    tenant.save(update_fields=["settings"])
    out.write(f"seeded in {time.monotonic() - started:.0f}s")
    return ref


def _timed_scan(now: datetime) -> tuple[float, int, dict]:
    with transaction.atomic():
        started = time.perf_counter()
        result = sla_engine.scan(now=now)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    transitions = result.transitions
    return seconds, result.candidates, {"warned": transitions.warned, "breached": transitions.breached,
                                        "escalated": transitions.escalated}


def _queue_timings(tenant, requests: int, out) -> dict:
    member = Membership.all_tenants.filter(tenant=tenant).select_related("user").first()
    try:
        url = reverse("tickets:queue")
    except NoReverseMatch:
        url = None
    samples, queries, mode = [], 0, "selector"

    def selector_page():
        page = list(selectors.ticket_queue(filters=selectors.QueueFilters(), user=member.user)[:50])
        total = selectors.ticket_queue(filters=selectors.QueueFilters(), user=member.user).count()
        return [(t.number, t.subject, t.account.name, t.assignee and t.assignee.email, t.contact_id, t.comment_count,
                 t.sla_state, t.sla_next_due_at) for t in page], total

    def timed_selector() -> float:
        with tenant_context(tenant):
            started = time.perf_counter()
            selector_page()
            return (time.perf_counter() - started) * 1000

    selector_samples = []
    with plain_static_files():
        client = Client()
        client.force_login(member.user)
        if url is not None:
            response = client.get(url, secure=True)
            if response.status_code == 200:
                mode = "page"
            else:
                out.write(f"queue page answered {response.status_code}; timing the selector instead")

        def timed_page() -> float:
            started = time.perf_counter()
            response = client.get(url, secure=True)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"the queue page answered {response.status_code} during the bench")
            return elapsed

        # Page and selector alternate (in turn first), so both are timed under the same machine load.
        for i in range(requests):
            if mode == "page" and i % 2 == 0:
                samples.append(timed_page())
            selector_samples.append(timed_selector())
            if mode == "page" and i % 2 == 1:
                samples.append(timed_page())
        if mode == "page":
            with CaptureQueriesContext(connection) as captured:
                client.get(url, secure=True)
            queries = len(captured)
    with tenant_context(tenant), CaptureQueriesContext(connection) as captured:
        selector_page()
    selector_queries = len(captured)
    if mode == "selector":
        samples, queries = selector_samples, selector_queries
    p50, p95 = percentiles(samples)
    s50, s95 = percentiles(selector_samples)
    return {"queue_mode": mode, "queue_p50_ms": p50, "queue_p95_ms": p95, "queue_queries": queries,
            "selector_p50_ms": s50, "selector_p95_ms": s95, "selector_queries": selector_queries}


def _plan(tenant, now: datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM tickets_ticket WHERE tenant_id = %s AND sla_next_check_at <= %s AND id > 0 "
            "ORDER BY id LIMIT 5000",
            [tenant.pk, now],
        )
        return " | ".join(row[0].strip() for row in cursor.fetchall())


def run(options, out) -> dict:
    tenant, _ = Tenant.objects.get_or_create(slug=SLUG, defaults={"name": "Bench Tickets", "timezone": "UTC"})
    size = [options["tickets"], options["open"]]
    reference = (tenant.settings or {}).get("bench_reference")
    seeded = (tenant.settings or {}).get("bench_size") == size and reference
    if seeded and not options["reseed"]:
        count = Ticket.all_tenants.filter(tenant=tenant).count()
        seeded = count == options["tickets"]
    if seeded and not options["reseed"]:
        ref = datetime.fromisoformat(reference)
        out.write(f"reusing the seeded bench tenant ({options['tickets']:,} tickets, reference {ref:%Y-%m-%d %H:%M})")
    else:
        ref = _seed(tenant, options, out)
    with connection.cursor() as cursor:  # clear dead rows left by earlier runs' rolled-back scans (autovacuum's job)
        cursor.execute("VACUUM ANALYZE tickets_ticket")
    queue = _queue_timings(tenant, options["requests"], out)
    out.write(f"queue: {queue}")
    concurrent = {}
    if options["clients"] > 0 and queue["queue_mode"] == "page":
        member = Membership.all_tenants.filter(tenant=tenant).select_related("user").first()
        concurrent = concurrent_run(tenant, member.user, options, out)
    with tenant_context(tenant):
        unresolved = Ticket.objects.filter(status__in=["new", "open", "pending_customer"]).count()
        _timed_scan(ref + timedelta(seconds=60))  # warm the caches once
        scan_seconds, candidates, transitions = _timed_scan(ref + timedelta(seconds=60))
        backlog_seconds, backlog, backlog_transitions = _timed_scan(ref + timedelta(hours=1))
        plan = _plan(tenant, ref + timedelta(seconds=60))
    out.write(f"scan (1 minute of boundaries): {candidates} tickets, {transitions}, {scan_seconds:.3f}s")
    out.write(f"scan (1 hour backlog): {backlog} tickets, {backlog_transitions}, {backlog_seconds:.3f}s")
    out.write(f"candidate query plan: {plan}")
    return {
        "tickets": options["tickets"], "open": unresolved, "scan_seconds": round(scan_seconds, 3),
        "queue_p50_ms": queue["queue_p50_ms"], "queue_p95_ms": queue["queue_p95_ms"],
        "queue_queries": queue["queue_queries"], "scan_candidates": candidates,
        "scan_backlog_seconds": round(backlog_seconds, 3), "scan_backlog_candidates": backlog,
        "queue_mode": queue["queue_mode"], "selector_p50_ms": queue["selector_p50_ms"],
        "selector_p95_ms": queue["selector_p95_ms"], "selector_queries": queue["selector_queries"],
        "page_to_selector_p95": round(queue["queue_p95_ms"] / queue["selector_p95_ms"], 2)
        if queue["selector_p95_ms"] else None,
        **concurrent,
    }
