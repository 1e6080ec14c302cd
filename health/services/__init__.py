"""Writes of the health engine, one module per job. Views, API, tasks and commands all come here.

- ``ingest``: product usage in (validated batch upserts, bulk loads);
- ``config``: the scorecard, risk thresholds, competitors and retention days;
- ``sentiment``: the CSM's read of an account;
- ``recompute``: the set-based scoring of a tenant's accounts, then accounts, timeline and risks (and past
  health written from raw values);
- ``scheduling``: asking for a recompute (debounced per account, or tenant-wide as a job);
- ``pruning``: thinning the health history by the retention policy.
"""

from health.services.config import risk_settings_save, scorecard_save
from health.services.ingest import UsageBatchInvalid, usage_ingest, usage_load
from health.services.pruning import prune_snapshots
from health.services.recompute import RecomputeOutcome, recompute_health, snapshots_write_history
from health.services.scheduling import request_account_recompute, request_tenant_recompute
from health.services.sentiment import sentiment_set

__all__ = [
    "RecomputeOutcome", "UsageBatchInvalid", "prune_snapshots", "recompute_health", "request_account_recompute",
    "request_tenant_recompute", "risk_settings_save", "scorecard_save", "sentiment_set", "snapshots_write_history", "usage_ingest",
    "usage_load",
]
