#!/usr/bin/env python
"""`make test`: the whole suite on PostgreSQL (embedded under .data/ when DATABASE_URL is unset).

Runs migrations checks first (no missing migrations), then pytest. Browser tests run when
Debian's Chromium is installed at /usr/bin/chromium (CI installs it) and are skipped with a
reason otherwise. Extra arguments go to pytest: `make test ARGS="-k health"`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    os.chdir(ROOT)
    env = dict(os.environ, CSP_TESTING="1", PYTHONUNBUFFERED="1")
    started_embedded = False
    if not env.get("DATABASE_URL"):
        sys.path.insert(0, str(ROOT))
        from config import embedded_db

        started_embedded = not (embedded_db.PGDATA / "postmaster.pid").exists()
        env["DATABASE_URL"] = embedded_db.database_url()
    try:
        check = subprocess.run(
            [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"], env=env, capture_output=True, text=True
        )
        if check.returncode != 0:
            print(check.stdout + check.stderr)
            print("Missing migrations: run `python manage.py makemigrations`.")
            return 1
        args = sys.argv[1:]
        return subprocess.run([sys.executable, "-m", "pytest", "--create-db", *args], env=env).returncode
    finally:
        if started_embedded:
            from config import embedded_db

            embedded_db.stop()


if __name__ == "__main__":
    sys.exit(main())
