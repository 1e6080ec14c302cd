"""The ticket bench's served-page run: the queue page from gunicorn as in production (``DEBUG=0``, manifest
static files collected into a temporary directory, sync workers) on a free loopback port, ``clients``
concurrent signed-in clients for ``seconds`` (at most ``max_requests`` requests); gunicorn is stopped at the
end whatever happens. Used by ``tickets.bench``."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse

from core.benchmarking import percentiles
from tenancy.middleware import SESSION_TENANT_KEY

LOOPBACK = "127.0.0.1"  # the concurrent run never leaves this machine


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _signed_in_session(user, tenant) -> str:
    """A server-side session for ``user`` in ``tenant``, as the login view would leave it: its key is the cookie."""
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


def concurrent_run(tenant, user, options, out) -> dict:
    """``clients`` threads GET the queue page from gunicorn for ``seconds`` (bounded by ``max_requests``)."""
    clients, seconds, cap, workers = options["clients"], options["seconds"], options["max_requests"], options["workers"]
    work = tempfile.mkdtemp(prefix="bench-tickets-")
    env = _production_env(os.path.join(work, "static"))
    failed = _collect_static(env)
    if failed:
        shutil.rmtree(work, ignore_errors=True)
        out.write(f"concurrent run skipped: collectstatic with production settings failed: {failed}")
        return {"concurrent_error": f"collectstatic failed: {failed}"}
    port = _free_port()
    session_key = _signed_in_session(user, tenant)
    target = _Target(port, reverse("tickets:queue"), {
        "Host": f"{LOOPBACK}:{port}", "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}",
        "X-Forwarded-Proto": "https", "Accept": "text/html"})
    log_path = os.path.join(work, "gunicorn.log")
    process = _start_gunicorn(port, workers, env, log_path)
    try:
        status = _wait_until_serving(process, target)
        if status != 200:
            tail = open(log_path).read()[-2000:]
            out.write(f"concurrent run aborted: gunicorn answered {status} (log tail: {tail})")
            return {"concurrent_error": f"gunicorn answered {status}", "concurrent_workers": workers}
        _warm(target, workers)
        samples, failures, elapsed = _load(target, clients=clients, seconds=seconds, cap=cap)
    finally:
        _stop(process)
        Session.objects.filter(session_key=session_key).delete()
        shutil.rmtree(work, ignore_errors=True)
    result = _summary(samples, failures, elapsed, clients=clients, workers=workers)
    out.write(f"served queue page, {clients} clients for {elapsed:.0f}s on gunicorn -w {workers}: {result}")
    return result


@dataclass(frozen=True)
class _Target:
    port: int
    path: str
    headers: dict[str, str]

    def get(self) -> tuple[int, float]:
        return _get(self.port, self.path, self.headers, timeout=30)


def _collect_static(env: dict[str, str]) -> str:
    """Run collectstatic with the production settings; the failure's last line, or "" when it worked."""
    collected = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                               cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300)
    if collected.returncode == 0:
        return ""
    return (collected.stderr.strip().splitlines() or ["?"])[-1]


def _start_gunicorn(port: int, workers: int, env: dict[str, str], log_path: str) -> subprocess.Popen:
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"{LOOPBACK}:{port}", "-w", str(workers),
             "--timeout", "60", "--graceful-timeout", "10"],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )


def _wait_until_serving(process: subprocess.Popen, target: _Target) -> int | None:
    """The first answer's status once gunicorn listens (None if it died or a minute passed)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return target.get()[0]
        except OSError:
            time.sleep(0.2)
    return None


def _warm(target: _Target, workers: int) -> None:
    warm = [threading.Thread(target=lambda: [target.get() for _ in range(3)]) for _ in range(workers)]
    for thread in warm:
        thread.start()
    for thread in warm:
        thread.join()


def _load(target: _Target, *, clients: int, seconds: float, cap: int) -> tuple[list[float], list[str], float]:
    """``clients`` threads GET the page until ``seconds`` pass or ``cap`` requests were issued."""
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
                code, ms = target.get()
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
    return samples, failures, time.monotonic() - started


def _summary(samples: list[float], failures: list[str], elapsed: float, *, clients: int, workers: int) -> dict:
    requests = len(samples) + sum(1 for f in failures if not f.isdigit())
    p50, p95 = percentiles(samples) if samples else (None, None)
    result = {
        "concurrent_clients": clients, "concurrent_seconds": round(elapsed, 1), "concurrent_workers": workers,
        "concurrent_requests": requests, "concurrent_errors": len(failures),
        "concurrent_rps": round(requests / elapsed, 1) if elapsed else None,
        "concurrent_p50_ms": p50, "concurrent_p95_ms": p95,
    }
    if failures:
        result["concurrent_error_kinds"] = {kind: failures.count(kind) for kind in sorted(set(failures))}
    return result
