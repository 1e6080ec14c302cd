"""Registries through which apps meet without importing each other (layer 3).

- :mod:`core.registries.health`: scorecard sources, risk rules and shared account facts. Any domain app
  registers there at import of its ``AppConfig.ready()``; the health app reads them.
- :mod:`core.registries.bands`: the tenant's health bands, for pages below health.
- :mod:`core.registries.expansion`: expansion triggers (renewals evaluates them; any app adds one).
"""
