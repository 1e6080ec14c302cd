"""Renewals and retention: the ARR ledger, renewals, expansion, touchpoint cadences.

One module per part (this package re-exports the models so Django and migrations find them).
"""

from renewals.models.cadences import (
    CadenceScope,
    IntervalUnit,
    TouchpointCadence,
    TouchpointKind,
)
from renewals.models.ledger import ArrMovement, MovementKind, MovementSource
from renewals.models.opportunities import (
    Opportunity,
    OpportunityKind,
    OpportunitySettings,
    OpportunityStage,
)
from renewals.models.renewal import Forecast, Renewal, RenewalOutcome, RenewalSettings, RenewalStage
from renewals.models.retention import LedgerMonth, RetentionRefresh, RetentionWindowTotals

__all__ = [
    "ArrMovement", "MovementKind", "MovementSource", "CadenceScope", "IntervalUnit", "TouchpointCadence",
    "TouchpointKind", "Forecast", "Renewal", "RenewalOutcome", "RenewalSettings", "RenewalStage",
    "Opportunity", "OpportunityKind", "OpportunitySettings", "OpportunityStage",
    "LedgerMonth", "RetentionRefresh", "RetentionWindowTotals",
]
