"""Past health written from raw values (``snapshots_write_history``): scored with the tenant's card and stored
as a recompute stores it (committed for real), the account's current health left alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from accounts.models import Account
from health.models import HealthSnapshot
from health.services import scorecard_save, snapshots_write_history
from tenancy.context import tenant_context
from tests.factories import AccountFactory

CARD = {"components": [
    {"key": "usage", "label": "Usage", "weight": 100,
     "measures": [{"key": "seats", "label": "Seats", "source": "seat_utilisation",
                   "mapping": {"type": "linear", "zero_at": 0, "full_at": 1}}]},
], "bands": [{"key": "green", "label": "Green", "min_score": 80}, {"key": "yellow", "label": "Yellow", "min_score": 60},
             {"key": "red", "label": "Red", "min_score": 0}]}


@pytest.mark.django_db(transaction=True)
def test_history_is_scored_stored_with_its_raw_values_and_leaves_the_account_alone(tenant):
    account = AccountFactory(tenant=tenant, health_score=None, health_status=None)
    first, second = datetime(2026, 1, 5, 6, tzinfo=UTC), datetime(2026, 1, 12, 6, tzinfo=UTC)
    with tenant_context(tenant):
        scorecard_save(data=CARD, recompute=False)
        rows = pd.DataFrame({"account_id": [account.pk, account.pk], "computed_at": [first, second],
                             "usage.seats": [0.85, float("nan")]})
        assert snapshots_write_history(tenant=tenant, rows=rows) == 2
        assert snapshots_write_history(tenant=tenant, rows=rows.iloc[0:0]) == 0
        stored = list(HealthSnapshot.objects.order_by("computed_at").values_list("computed_at", "score", "status", "measures"))
        account = Account.objects.get(pk=account.pk)
    assert [(at, None if s is None else float(s), band) for at, s, band, _ in stored] == [
        (first, 85.0, "green"), (second, None, None)]
    assert stored[0][3] == {"usage": {"seats": [0.85, 85.0]}} and stored[1][3] == {"usage": {"seats": [None, None]}}
    assert account.health_score is None and account.health_status is None
