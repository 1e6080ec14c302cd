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
  Gunicorn is stopped at the end whatever happens. ``--clients 0`` skips it.
"""

from __future__ import annotations

import http.client
import io
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

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
    from accounts.models import Account
    from tenancy.models import Membership, Role, User
    from tickets.models import TicketNumberSequence

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
    from tickets import sla_engine

    with transaction.atomic():
        started = time.perf_counter()
        result = sla_engine.scan(now=now)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    transitions = result.transitions
    return seconds, result.candidates, {"warned": transitions.warned, "breached": transitions.breached,
                                        "escalated": transitions.escalated}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return round(statistics.median(ordered), 1), round(p95, 1)


def _queue_timings(tenant, requests: int, out) -> dict:
    from django.test import Client

    from tenancy.models import Membership
    from tickets import selectors

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

    from tenancy.context import tenant_context

    def timed_selector() -> float:
        with tenant_context(tenant):
            started = time.perf_counter()
            selector_page()
            return (time.perf_counter() - started) * 1000

    selector_samples = []
    with _plain_static_files():
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
    p50, p95 = _percentiles(samples)
    s50, s95 = _percentiles(selector_samples)
    return {"queue_mode": mode, "queue_p50_ms": p50, "queue_p95_ms": p95, "queue_queries": queries,
            "selector_p50_ms": s50, "selector_p95_ms": s95, "selector_queries": selector_queries}


def _plain_static_files():
    """The manifest storage needs `collectstatic`; the bench renders pages without it."""
    from django.conf import settings
    from django.test.utils import override_settings

    return override_settings(STORAGES={
        **settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    })


# --------------------------------------------------------------------------- the served page under load

LOOPBACK = "127.0.0.1"  # the concurrent run never leaves this machine


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _signed_in_session(user, tenant) -> str:
    """A server-side session for ``user`` in ``tenant``, as the login view would leave it: its key is the cookie."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from tenancy.middleware import SESSION_TENANT_KEY

    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SESSION_TENANT_KEY] = tenant.pk
    session.create()
    return session.session_key


def _get(port: int, path: str, headers: dict[str, str], timeout: float) -> tuple[int, float]:
    """One GET on a fresh connection (gunicorn's sync workers close it after each response): status, ms."""
    started = time.perf_counter()
    connection_ = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        connection_.request("GET", path, headers=headers)
        response = connection_.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        connection_.close()


def _production_env(static_root: str) -> dict[str, str]:
    """The environment gunicorn runs with: production settings (``DEBUG=0``: manifest static files, secure
    cookies, HSTS, SSL redirect honouring ``X-Forwarded-Proto`` as behind a TLS proxy), this database."""
    env = {key: value for key, value in os.environ.items() if key not in ("CSP_TESTING", "DJANGO_DEBUG")}
    env.update({"DEBUG": "0", "STATIC_ROOT": static_root, "PYTHONUNBUFFERED": "1",
                "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings")})
    return env


def _stop(process: subprocess.Popen) -> None:
    """Stop gunicorn (its master and the workers, one process group that this bench started)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=5)


def _concurrent_run(tenant, user, options, out) -> dict:
    """``clients`` threads GET the queue page from gunicorn for ``seconds`` (bounded by ``max_requests``)."""
    from django.conf import settings
    from django.contrib.sessions.models import Session

    clients, seconds, cap, workers = options["clients"], options["seconds"], options["max_requests"], options["workers"]
    root = settings.BASE_DIR
    work = tempfile.mkdtemp(prefix="bench-tickets-")
    static_root, log_path = os.path.join(work, "static"), os.path.join(work, "gunicorn.log")
    env = _production_env(static_root)
    collected = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=root,
                               env=env, capture_output=True, text=True, timeout=300)
    if collected.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        reason = (collected.stderr.strip().splitlines() or ["?"])[-1]
        out.write(f"concurrent run skipped: collectstatic with production settings failed: {reason}")
        return {"concurrent_error": f"collectstatic failed: {reason}"}
    port = _free_port()
    session_key = _signed_in_session(user, tenant)
    path = reverse("tickets:queue")
    headers = {"Host": f"{LOOPBACK}:{port}", "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}",
               "X-Forwarded-Proto": "https", "Accept": "text/html"}
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"{LOOPBACK}:{port}", "-w", str(workers),
             "--timeout", "60", "--graceful-timeout", "10"],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, _ = _get(port, path, headers, timeout=30)
                break
            except OSError:
                time.sleep(0.2)
        if status != 200:
            tail = open(log_path).read()[-2000:]
            out.write(f"concurrent run aborted: gunicorn answered {status} (log tail: {tail})")
            return {"concurrent_error": f"gunicorn answered {status}", "concurrent_workers": workers}
        warm = [threading.Thread(target=lambda: [_get(port, path, headers, 30) for _ in range(3)])
                for _ in range(workers)]
        for thread in warm:
            thread.start()
        for thread in warm:
            thread.join()

        samples: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        issued = [0]
        stop_at = time.monotonic() + seconds

        def client() -> None:
            while time.monotonic() < stop_at:
                with lock:
                    if issued[0] >= cap:
                        return
                    issued[0] += 1
                try:
                    code, ms = _get(port, path, headers, timeout=30)
                except OSError as exc:
                    with lock:
                        failures.append(type(exc).__name__)
                    continue
                with lock:
                    samples.append(ms)
                    if code != 200:
                        failures.append(str(code))

        started = time.monotonic()
        threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 60)
        elapsed = time.monotonic() - started
    finally:
        _stop(process)
        Session.objects.filter(session_key=session_key).delete()
        shutil.rmtree(work, ignore_errors=True)
    requests = len(samples) + sum(1 for f in failures if not f.isdigit())
    p50, p95 = _percentiles(samples) if samples else (None, None)
    result = {
        "concurrent_clients": clients, "concurrent_seconds": round(elapsed, 1), "concurrent_workers": workers,
        "concurrent_requests": requests, "concurrent_errors": len(failures),
        "concurrent_rps": round(requests / elapsed, 1) if elapsed else None,
        "concurrent_p50_ms": p50, "concurrent_p95_ms": p95,
    }
    if failures:
        result["concurrent_error_kinds"] = {kind: failures.count(kind) for kind in sorted(set(failures))}
    out.write(f"served queue page, {clients} clients for {elapsed:.0f}s on gunicorn -w {workers}: {result}")
    return result


def _plan(tenant, now: datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM tickets_ticket WHERE tenant_id = %s AND sla_next_check_at <= %s AND id > 0 "
            "ORDER BY id LIMIT 5000",
            [tenant.pk, now],
        )
        return " | ".join(row[0].strip() for row in cursor.fetchall())


def run(options, out) -> dict:
    from tenancy.context import tenant_context
    from tenancy.models import Membership, Tenant
    from tickets.models import Ticket

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
        concurrent = _concurrent_run(tenant, member.user, options, out)
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
