"""Bounds on input that the API, forms and imports share."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# The earliest date or time the platform accepts anywhere a client gives one (usage dates, a
# ticket's opened_at). Nothing a customer success team records is older; earlier years are typos
# ("0026" for "2026") and reach the corners of date arithmetic (time zones before standard time).
EARLIEST_DATE = date(1900, 1, 1)
EARLIEST_DATETIME = datetime(1900, 1, 1, tzinfo=UTC)

# C0 and C1 control characters and DEL: never part of a name, key or identifier.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
