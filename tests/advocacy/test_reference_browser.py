"""In a real browser: the reference pool (why / why not per rule, calls left), asking an account for a
reference call with its capacity shown first, the requests board moving it to agreed then completed, the
case-study pipeline with its quarterly progress, and the account page's References panel. Screenshots (with
the axe check tests/browser_support.shot runs) go to tests/artifacts/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account, Contact
from advocacy.models import SurveyResponse
from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, shot
from tests.factories import AccountFactory, ContactFactory
from tests.factories.references import AdvocateProfileFactory, CaseStudyFactory, ReferenceRequestFactory
from tests.factories.tenancy import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS


def _promoter(tenant, name, csm, *, willing=True, nps=10, **kw):
    kw.setdefault("customer_since", timezone.localdate() - timedelta(days=800))
    account = AccountFactory(tenant=tenant, name=name, csm=csm, **kw)
    champion = ContactFactory(account=account, name=f"{name.split()[0]} Champion", is_champion=True,
                              title="Head of Search")
    AdvocateProfileFactory(contact=champion, willing=willing)
    SurveyResponse.all_tenants.create(tenant=tenant, account=account, kind="nps", score=nps,
                                      responded_at=timezone.now() - timedelta(days=20))
    return account


@pytest.fixture
def world(transactional_db):
    tenant = TenantFactory(slug="acme-refs", name="Acme Corp")
    admin = UserFactory(email="admin@acme-refs.example", full_name="Ada Admin")
    MembershipFactory(tenant=tenant, user=admin, role=Role.ADMIN)
    falcon = _promoter(tenant, "Falcon Networks", admin)
    now = timezone.now()
    ReferenceRequestFactory(account=falcon, kind="reference_call", status="completed",
                            requested_at=now - timedelta(days=90), notes="Bank prospect")
    _promoter(tenant, "Initech", admin, willing=False)
    _promoter(tenant, "Globo Gym", admin, nps=8)
    newco = _promoter(tenant, "Newco Labs", admin, customer_since=timezone.localdate() - timedelta(days=100))
    ReferenceRequestFactory(account=newco, kind="testimonial", status="declined", requested_at=now - timedelta(days=4))
    CaseStudyFactory(account=falcon, title="Search across 40M documents", stage="customer_review", owner=admin)
    CaseStudyFactory(account=falcon, title="Onboarding in six weeks", stage="published", owner=admin,
                     published_at=now - timedelta(hours=1))
    CaseStudyFactory(account=newco, title="From pilot to rollout", stage="interview")
    # Last, after the on-commit health recomputes of the creates above (no usage data: not the top band).
    Account.all_tenants.filter(tenant=tenant).update(health_status="green", health_score=88)
    return {"tenant": tenant, "admin": admin, "falcon": falcon}


def test_pool_board_and_pipeline(live_server, world, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", world["admin"].email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/advocacy/references/")
    eligible = page.inner_text("#pool-eligible")
    assert "Falcon Networks" in eligible and "Initech" not in eligible
    near = page.inner_text("#pool-near")
    assert "No active champion marked willing" in near and "Latest NPS 8, below 9" in near
    assert "months, under 12" in near
    shot(page, "references-pool")

    page.click("a[aria-label='Ask Falcon Networks for a reference']")
    assert "2 of 3 reference calls" in page.inner_text("#ask-capacity")
    page.select_option("#id_kind", "reference_call")
    page.fill("#id_notes", "Insurance prospect, 30 minutes")
    shot(page, "references-ask")
    page.click("#ask-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/advocacy/references/requests/")

    page.click("button[aria-label='Agreed: reference call of Falcon Networks']")
    page.wait_for_load_state()
    page.get_by_label("Outcome of the reference call of Falcon Networks").fill("Prospect signed")
    shot(page, "references-board-agreed")
    page.click("button[aria-label='Completed: reference call of Falcon Networks']")
    page.wait_for_load_state()
    completed = page.inner_text("section[aria-labelledby='status-completed']")
    assert completed.count("Falcon Networks") == 2 and "Prospect signed" in completed
    shot(page, "references-board")

    page.goto(f"{live_server.url}/advocacy/references/case-studies/")
    assert "1 of 2 case studies published" in page.inner_text("#case-study-progress")
    assert "Search across 40M documents" in page.inner_text("#case-study-board")
    shot(page, "references-case-studies")

    page.goto(f"{live_server.url}/accounts/{world['falcon'].pk}/")
    panel = page.inner_text("#references-panel")
    assert "Reference calls left: 1 of 3" in panel
    page.locator("#references-panel").scroll_into_view_if_needed()
    shot(page, "references-account-panel")
    assert Contact.all_tenants.filter(account=world["falcon"]).exists()
