"""Renewals and retention: the ARR ledger, renewals, expansion, touchpoint cadences.

One module per part (this package re-exports the models so Django and migrations find them).
"""

from renewals.models.cadences import (
    CadenceScope,
    IntervalUnit,
    TouchpointCadence,
    TouchpointKind,
)

__all__ = ["CadenceScope", "IntervalUnit", "TouchpointCadence", "TouchpointKind"]
