"""`python manage.py bench NAME [options]`: run a benchmark; its last line of output is one JSON object.

Each benchmark lives with its app as a module exposing ``add_arguments(parser)`` and
``run(options, out) -> dict``; this command only dispatches and prints the result.
"""

from __future__ import annotations

import importlib
import json

from django.core.management.base import BaseCommand, CommandError

BENCHMARKS = {
    "health": "health.bench_recompute",
    "usage-ingest": "health.bench_ingest",
    "tickets": "tickets.bench",
}


class Command(BaseCommand):
    help = "Run a benchmark: " + ", ".join(sorted(BENCHMARKS))

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="benchmark", required=True)
        for name, module_path in BENCHMARKS.items():
            try:
                module = importlib.import_module(module_path)
            except ImportError:
                continue
            bench_parser = sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else "")
            module.add_arguments(bench_parser)

    def handle(self, *args, **options):
        name = options["benchmark"]
        try:
            module = importlib.import_module(BENCHMARKS[name])
        except (KeyError, ImportError) as exc:
            raise CommandError(f"Unknown benchmark {name!r}") from exc
        result = module.run(options, self.stdout)
        self.stdout.write(json.dumps(result, default=str))
