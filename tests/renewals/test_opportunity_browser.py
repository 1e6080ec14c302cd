"""In a real browser: the pipeline board by stage with its weighted totals, and the account page's expansion
panel after an opportunity is won through the API. Screenshots (with the axe check, which
tests/browser_support.shot runs) go to tests/artifacts/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account
from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, shot
from tests.factories import AccountFactory, OpportunityFactory, make_api_key
from tests.factories.tenancy import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db):
    tenant = TenantFactory(slug="acme-pipeline", name="Acme Corp")
    admin = UserFactory(email="admin@acme-pipeline.example", full_name="Ada Admin")
    MembershipFactory(tenant=tenant, user=admin, role=Role.ADMIN)
    today = timezone.localdate()
    falcon = AccountFactory(tenant=tenant, name="Falcon Networks", arr=Decimal("0"), csm=admin,
                            customer_since=today - timedelta(days=400))
    initech = AccountFactory(tenant=tenant, name="Initech", arr=Decimal("0"), csm=admin)
    close = today + timedelta(days=45)
    OpportunityFactory(account=falcon, title="Fifty more seats", stage="negotiation", amount=Decimal("24000"),
                       owner=admin, close_date=close)
    OpportunityFactory(account=initech, title="Analytics add-on", kind="cross_sell", stage="discussion",
                       amount=Decimal("12000"), owner=admin, close_date=close)
    OpportunityFactory(account=initech, title="Migration workshop", kind="professional_services", stage="proposal",
                       amount=Decimal("6000"), close_date=close)
    return {"tenant": tenant, "admin": admin, "falcon": falcon}


def test_pipeline_board_and_account_panel(live_server, world, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", world["admin"].email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/renewals/pipeline/")
    totals = page.inner_text("#pipeline-totals")
    assert "$42,000" in totals and "$29,100" in totals  # 24,000 x 80% + 12,000 x 50% + 6,000 x 65%
    board = page.inner_text("#pipeline-board")
    assert "Fifty more seats" in board and "Analytics add-on" in board and "Migration workshop" in board
    shot(page, "pipeline-board")

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(world['tenant'])}")
    opportunity = api.get("/api/v1/opportunities/", {"account": world["falcon"].pk}).json()["results"][0]
    assert api.patch(f"/api/v1/opportunities/{opportunity['id']}/", {"stage": "won"}, format="json").status_code == 200
    assert Account.all_tenants.get(pk=world["falcon"].pk).arr == Decimal("24000")

    page.goto(f"{live_server.url}/accounts/{world['falcon'].pk}/")
    panel = page.inner_text("#expansion-panel")
    assert "Fifty more seats" in panel and "Won" in panel
    page.locator("#expansion-panel").scroll_into_view_if_needed()
    shot(page, "pipeline-account-panel")
