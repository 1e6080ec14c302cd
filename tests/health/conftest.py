from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

TODAY = date(2026, 3, 2)


@pytest.fixture
def frozen():
    """Noon UTC on TODAY (a Monday); sources score "as of" TODAY."""
    with time_machine.travel(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller
