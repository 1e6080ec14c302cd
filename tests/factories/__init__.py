"""Factories for every app (one module per app, re-exported here: `from tests.factories import AccountFactory`)."""

from tests.factories.accounts import *  # noqa: F403
from tests.factories.tenancy import *  # noqa: F403
