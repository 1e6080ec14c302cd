"""`python manage.py bench NAME [options]`: run a benchmark; its last line of output is one JSON object.

Each benchmark lives with its app as a module exposing ``add_arguments(parser)`` and
``run(options, out) -> dict``; this command only dispatches and prints the result.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from advocacy import bench_surveys
from core import bench_idempotency
from dashboards import bench as dashboards_bench
from dashboards import bench_dry_run
from dashboards import bench_targets as kpi_targets_bench
from health import bench_freshness, bench_ingest, bench_recompute
from integrations import bench as webhooks_bench
from renewals import bench as renewals_bench
from tickets import bench as tickets_bench

BENCHMARKS = {
    "health": bench_recompute,
    "usage-ingest": bench_ingest,
    "freshness": bench_freshness,
    "tickets": tickets_bench,
    "renewals": renewals_bench,
    "surveys": bench_surveys,
    "dashboards": dashboards_bench,
    "idempotency": bench_idempotency,
    "kpi-targets": kpi_targets_bench,
    "scorecard-dry-run": bench_dry_run,
    "webhooks": webhooks_bench,
}


class Command(BaseCommand):
    help = "Run a benchmark: " + ", ".join(sorted(BENCHMARKS))

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="benchmark", required=True)
        for name, module in BENCHMARKS.items():
            doc = (module.__doc__ or "").strip()
            bench_parser = sub.add_parser(name, help=doc.splitlines()[0] if doc else "")
            module.add_arguments(bench_parser)

    def handle(self, *args, **options):
        name = options["benchmark"]
        if name not in BENCHMARKS:
            raise CommandError(f"Unknown benchmark {name!r}")
        result = BENCHMARKS[name].run(options, self.stdout)
        self.stdout.write(json.dumps(result, default=str))
