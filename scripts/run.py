#!/usr/bin/env python
"""`make run`: database, migrations, demo data, then web + Celery worker + beat under one supervisor.

Ctrl-C (or SIGTERM) stops every process it started, and the embedded PostgreSQL if it
started that too, leaving nothing behind. Honours PORT, HOST, DATABASE_URL, REDIS_URL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def log(message: str) -> None:
    print(f"[run] {message}", flush=True)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    os.chdir(ROOT)
    env = dict(os.environ)
    env.setdefault("DEBUG", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
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

    children: list[subprocess.Popen] = []
    try:
        manage("migrate", "--noinput")
        manage("collectstatic", "--noinput", "-v", "0")
        manage("seed_demo")
        commands = [
            ("web", [PY, "manage.py", "runserver", f"{host}:{port}", "--noreload"]
             if env.get("DEBUG") == "1" else
             [PY, "-m", "gunicorn", "config.wsgi", "-b", f"{host}:{port}", "-w", "3"]),
        ]
        celery = [PY, "-m", "celery", "-A", "config"]
        if redis:
            commands += [
                ("worker", [*celery, "worker", "-l", "info", "--concurrency", "2", "-Q", "default"]),
                ("beat", [*celery, "beat", "-l", "info"]),
            ]
        else:
            # The filesystem transport has no separate beat process to talk to: run beat inside the worker.
            commands += [("worker+beat", [*celery, "worker", "-B", "-l", "info", "--concurrency", "1", "-Q", "default"])]
        for name, cmd in commands:
            children.append(subprocess.Popen(cmd, env=env, start_new_session=True))
            log(f"started {name} (pid {children[-1].pid})")
        log(f"serving on http://{host}:{port}  (Ctrl-C stops everything)")
        # Ctrl-C and SIGTERM both end in the `finally` below (also when started with SIGINT ignored).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        log("a process exited; stopping the others")
        return 1
    except KeyboardInterrupt:
        log("stopping")
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()  # the process itself: Celery does a warm shutdown of its pool
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        if started_embedded:
            from config import embedded_db

            embedded_db.stop()
            log("embedded PostgreSQL stopped")


if __name__ == "__main__":
    sys.exit(main())
