"""The seam for a tenant's health bands: the health app provides them, pages below it read them.

Health registers its reader in ``AppConfig.ready()`` (``register_band_provider(tenant_bands)``); the
account list's filter and the ``band_label`` template filter call :func:`tenant_bands` without
importing health. With no provider (health not installed) there are no bands.
"""

from __future__ import annotations

from collections.abc import Callable

_provider: list[Callable[[], list[dict]]] = []


def register_band_provider(provider: Callable[[], list[dict]]) -> None:
    """Set the function that returns the current tenant's bands ``[{"key", "label", ...}]``, best first."""
    _provider[:] = [provider]


def tenant_bands() -> list[dict]:
    return _provider[0]() if _provider else []
