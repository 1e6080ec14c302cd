import pytest

from tests.factories.accounts import AccountFactory
from tests.factories.knowledge import ArticleFactory, CategoryFactory
from tests.factories.tickets import TicketFactory


@pytest.fixture
def make_ticket():
    """A real ticket (through tickets.services) of the given tenant."""

    def make(tenant, **fields):
        fields.setdefault("account", AccountFactory(tenant=tenant))
        return TicketFactory(**fields)

    return make


@pytest.fixture
def category(tenant):
    return CategoryFactory(tenant=tenant, name="Troubleshooting", slug="troubleshooting")


@pytest.fixture
def article(category):
    """A published article of acme's Troubleshooting category."""
    return ArticleFactory(category=category, title="Ingestion stuck", body="Re-authorize the **connector**.")
