"""Factories for every app (one module per app, re-exported here: `from tests.factories import AccountFactory`)."""

from tests.factories.accounts import *  # noqa: F403
from tests.factories.cadences import *  # noqa: F403
from tests.factories.health import *  # noqa: F403
from tests.factories.knowledge import *  # noqa: F403
from tests.factories.kpi_targets import *  # noqa: F403
from tests.factories.onboarding import *  # noqa: F403
from tests.factories.opportunities import *  # noqa: F403
from tests.factories.renewal import *  # noqa: F403
from tests.factories.surveys import *  # noqa: F403
from tests.factories.tenancy import *  # noqa: F403
from tests.factories.tickets import *  # noqa: F403
