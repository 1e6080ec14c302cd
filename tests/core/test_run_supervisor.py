"""`make run`'s supervisor (scripts/run.py): a worker that exits is restarted with backoff; web and beat
keep running; only the web server exiting stops everything. Real child processes, an injected clock."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("csp_run", Path(__file__).resolve().parents[2] / "scripts" / "run.py")
run = sys.modules["csp_run"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]
CRASH = [sys.executable, "-c", "import sys; sys.exit(3)"]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _wait_exit(process) -> None:
    deadline = time.monotonic() + 10
    while process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_backoff_doubles_up_to_a_minute():
    assert [run.backoff(n) for n in (1, 2, 3, 4, 7, 8, 20)] == [1, 2, 4, 8, 60, 60, 60]


@pytest.fixture
def supervised():
    clock = Clock()
    web, worker, beat = run.Service("web", SLEEP), run.Service("worker", CRASH, restart=True), \
        run.Service("beat", SLEEP, restart=True)
    supervisor = run.Supervisor([web, worker, beat], env={"PATH": "/usr/bin:/bin"}, clock=clock)
    supervisor.start_all()
    yield supervisor, clock, web, worker, beat
    supervisor.stop_all(timeout=5)


def test_a_worker_that_exits_is_restarted_with_backoff_and_web_and_beat_stay_up(supervised):
    supervisor, clock, web, worker, beat = supervised
    web_pid, beat_pid = web.process.pid, beat.process.pid
    restarts = []
    for expected_delay in (1, 2, 4):
        first = worker.process
        _wait_exit(first)
        assert supervisor.tick() is True
        assert worker.process is None and worker.restart_at == clock.now + expected_delay
        clock.now += expected_delay - 0.5
        assert supervisor.tick() is True and worker.process is None  # not before the backoff
        clock.now += 0.5
        assert supervisor.tick() is True and worker.process is not None and worker.process is not first
        restarts.append(worker.process.pid)
    assert len(set(restarts)) == 3
    assert web.process.pid == web_pid and web.process.poll() is None
    assert beat.process.pid == beat_pid and beat.process.poll() is None


def test_a_worker_that_ran_a_while_starts_again_from_the_shortest_backoff(supervised):
    supervisor, clock, web, worker, beat = supervised
    worker.failures = 5
    clock.now += run.STABLE_SECONDS + 1
    _wait_exit(worker.process)
    supervisor.tick()
    assert worker.failures == 1 and worker.restart_at == clock.now + 1


def test_web_exiting_stops_everything(supervised):
    supervisor, clock, web, worker, beat = supervised
    web.process.terminate()
    _wait_exit(web.process)
    assert supervisor.tick() is False
    supervisor.stop_all(timeout=5)
    assert beat.process.poll() is not None
