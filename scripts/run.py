#!/usr/bin/env python
"""`make run`: database, migrations, demo data, then web + Celery worker + beat under one supervisor.

A worker (or beat) that exits is started again after a backoff (1 s, doubling up to 60 s; back to 1 s
once it has stayed up a minute), so a crashed or OOM-killed worker does not take web and beat down;
only the web server exiting stops everything. Ctrl-C (or SIGTERM) stops every process it started,
and the embedded PostgreSQL if it started that too, leaving nothing behind. Honours PORT, HOST,
DATABASE_URL, REDIS_URL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def log(message: str) -> None:
    print(f"[run] {message}", flush=True)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


BACKOFF_START, BACKOFF_MAX, STABLE_SECONDS = 1.0, 60.0, 60.0


def backoff(failures: int) -> float:
    """Seconds to wait before restart number ``failures`` in a row (1, 2, 4, ... up to BACKOFF_MAX)."""
    return min(BACKOFF_MAX, BACKOFF_START * 2 ** max(0, failures - 1))


@dataclass
class Service:
    name: str
    cmd: list[str]
    restart: bool = False  # restart when it exits (workers, beat); otherwise its exit stops everything
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0  # exits in a row, each after less than STABLE_SECONDS up
    restart_at: float | None = None


class Supervisor:
    """Starts the services, restarts the restartable ones with backoff, and stops them all."""

    def __init__(self, services: list[Service], *, env: dict, clock: Callable[[], float] = time.monotonic,
                 spawn: Callable[..., subprocess.Popen] = subprocess.Popen):
        self.services, self.env, self.clock, self.spawn = services, env, clock, spawn

    def start(self, service: Service) -> None:
        service.process = self.spawn(service.cmd, env=self.env, start_new_session=True)
        service.started_at, service.restart_at = self.clock(), None
        log(f"started {service.name} (pid {service.process.pid})")

    def start_all(self) -> None:
        for service in self.services:
            self.start(service)

    def tick(self) -> bool:
        """Check every service once: schedule or make restarts. False when a service that is not
        restarted (web) has exited, i.e. everything should stop."""
        now = self.clock()
        for service in self.services:
            if service.process is not None and service.process.poll() is not None:
                code = service.process.returncode
                if not service.restart:
                    log(f"{service.name} exited ({code}); stopping the others")
                    return False
                up = now - service.started_at
                service.failures = 1 if up >= STABLE_SECONDS else service.failures + 1
                delay = backoff(service.failures)
                log(f"{service.name} exited ({code}) after {up:.0f}s; restarting in {delay:.0f}s")
                service.process, service.restart_at = None, now + delay
            if service.process is None and service.restart_at is not None and now >= service.restart_at:
                self.start(service)
        return True

    def stop_all(self, timeout: float = 15) -> None:
        running = [s.process for s in self.services if s.process is not None]
        for child in running:
            if child.poll() is None:
                child.terminate()  # the process itself: Celery does a warm shutdown of its pool
        deadline = time.monotonic() + timeout
        for child in running:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)


def main() -> int:
    os.chdir(ROOT)
    env = dict(os.environ)
    env.setdefault("DEBUG", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("WEBHOOK_ALLOW_PRIVATE_HOSTS", "1")  # local development: webhooks to a receiver on this machine
    host, port = env.get("HOST", "127.0.0.1"), env.get("PORT", "8000")
    started_embedded = False
    if not env.get("DATABASE_URL"):
        sys.path.insert(0, str(ROOT))
        from config import embedded_db

        was_running = (embedded_db.PGDATA / "postmaster.pid").exists()
        env["DATABASE_URL"] = embedded_db.database_url()
        started_embedded = not was_running
        log(f"embedded PostgreSQL under .data/postgres ({'started' if started_embedded else 'already running'})")
    redis = env.get("REDIS_URL")
    log(f"broker: {'Redis ' + redis if redis else 'filesystem (no REDIS_URL); request-triggered tasks run inline'}")

    def manage(*args: str) -> None:
        subprocess.run([PY, "manage.py", *args], env=env, check=True)

    supervisor = Supervisor([], env=env)
    try:
        manage("migrate", "--noinput")
        manage("collectstatic", "--noinput", "-v", "0")
        manage("seed_demo")
        web = [PY, "manage.py", "runserver", f"{host}:{port}", "--noreload"] if env.get("DEBUG") == "1" else \
            [PY, "-m", "gunicorn", "config.wsgi", "-b", f"{host}:{port}", "-w", "3"]
        services = [Service("web", web)]
        celery = [PY, "-m", "celery", "-A", "config"]
        queues = env.get("CELERY_WORKER_QUEUES", "default,sla,health,email,webhooks")
        if redis:
            services += [
                Service("worker", [*celery, "worker", "-l", "info", "--concurrency", "2", "-Q", queues], restart=True),
                Service("beat", [*celery, "beat", "-l", "info"], restart=True),
            ]
        else:
            # The filesystem transport has no separate beat process to talk to: run beat inside the worker.
            services += [Service("worker+beat", [*celery, "worker", "-B", "-l", "info", "--concurrency", "1",
                                                 "-Q", queues], restart=True)]
        supervisor.services = services
        supervisor.start_all()
        log(f"serving on http://{host}:{port}  (Ctrl-C stops everything)")
        # Ctrl-C and SIGTERM both end in the `finally` below (also when started with SIGINT ignored).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        while supervisor.tick():
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        log("stopping")
        return 0
    finally:
        supervisor.stop_all()
        if started_embedded:
            from config import embedded_db

            embedded_db.stop()
            log("embedded PostgreSQL stopped")


if __name__ == "__main__":
    sys.exit(main())
