#!/usr/bin/env python
"""`make check-production`: build and serve the app as the production image does, and fail if it cannot.

With production settings (DEBUG=0, a throwaway SECRET_KEY, ALLOWED_HOSTS) into a temporary
STATIC_ROOT it runs `collectstatic` (the manifest every page needs) and `check --deploy`, then
starts gunicorn on a free 127.0.0.1 port and requires 200 from the sign-in page and from the
static file that page links (hashed name, served by WhiteNoise), and the branded 404 page for an
unknown address. The request says it came through
a TLS-terminating proxy (X-Forwarded-Proto: https), as behind the production load balancer.
gunicorn is stopped whatever happens. DATABASE_URL comes from the environment (the sign-in page
needs no query). Used by .ci/run and by tests/core/test_check_production.py.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 30.0


class CheckFailed(Exception):
    pass


def production_env(static_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"CSP_TESTING", "DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_ROOT=str(static_root),
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise CheckFailed(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout + result.stderr


def fetch(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own local server)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until_serving(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CheckFailed(f"gunicorn exited with {process.returncode} before serving")
        try:
            fetch(f"{base}/login/")
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    raise CheckFailed(f"gunicorn did not answer within {STARTUP_TIMEOUT:.0f} s")


def serve_and_fetch(env: dict[str, str]) -> list[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn) if gunicorn.exists() else "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1",
               "--timeout", "30", "--graceful-timeout", "5"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    report = []
    try:
        wait_until_serving(base, process)
        status, body = fetch(f"{base}/login/")
        if status != 200:
            raise CheckFailed(f"GET /login/ under gunicorn with DEBUG=0 answered {status}:\n{body[:2000].decode(errors='replace')}")
        report.append(f"GET /login/ -> {status}")
        match = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', body)
        if match is None:
            raise CheckFailed("the sign-in page does not link the hashed stylesheet (no static manifest?)")
        static_path = match.group(1).decode()
        status, _ = fetch(f"{base}{static_path}")
        if status != 200:
            raise CheckFailed(f"GET {static_path} answered {status}")
        report.append(f"GET {static_path} -> {status}")
        status, body = fetch(f"{base}/no-such-page/")
        if status != 404 or b"Page not found" not in body:
            raise CheckFailed(f"GET /no-such-page/ answered {status} without the branded 404 page")
        report.append(f"GET /no-such-page/ -> {status} (branded page)")
    except CheckFailed:
        output = _stop(process)
        raise CheckFailed(f"{sys.exc_info()[1]}\n--- gunicorn output ---\n{output}") from None
    else:
        _stop(process)
    return report


def _stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.stdout.read().decode(errors="replace") if process.stdout else ""


def check_production() -> list[str]:
    """Run every step; return what was checked, or raise CheckFailed with the reason."""
    with tempfile.TemporaryDirectory(prefix="csp-static-") as static_root:
        env = production_env(Path(static_root))
        started = time.monotonic()
        run_manage(env, "collectstatic", "--noinput", "-v", "0")
        if not (Path(static_root) / "staticfiles.json").exists():
            raise CheckFailed("collectstatic wrote no manifest (staticfiles.json)")
        report = [f"collectstatic into {static_root}: manifest written"]
        run_manage(env, "check", "--deploy", "--fail-level", "WARNING")
        report.append("check --deploy: no issues")
        report += serve_and_fetch(env)
        report.append(f"done in {time.monotonic() - started:.1f} s")
        return report


def main() -> int:
    try:
        for line in check_production():
            print(line)
    except CheckFailed as exc:
        print(f"production check FAILED: {exc}", file=sys.stderr)
        return 1
    print("production check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
