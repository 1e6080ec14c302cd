from datetime import date

import pytest

from tenancy.models import Role
from tests.factories.accounts import AccountFactory
from tests.factories.onboarding import make_plan, make_template

START = date(2026, 3, 2)  # a Monday


@pytest.fixture
def people(tenant, member):
    """One acme member per role that onboarding tasks resolve to."""
    return {
        "specialist": member(Role.ONBOARDING_SPECIALIST, email="sue.specialist@acme.example"),
        "csm": member(Role.CSM, email="carl.csm@acme.example"),
        "engineer": member(Role.SUPPORT_ENGINEER, email="erin.engineer@acme.example"),
        "vp": member(Role.VP, email="vera.vp@acme.example"),
    }


@pytest.fixture
def template(tenant):
    return make_template(tenant)


@pytest.fixture
def account(tenant, people):
    return AccountFactory(tenant=tenant, name="Initech", csm=people["csm"], lifecycle_stage="onboarding")


@pytest.fixture
def plan(account, template, people):
    return make_plan(account, start_date=START)


@pytest.fixture
def other_plan(other_tenant):
    """A complete plan of globex (bob's tenant)."""
    make_template(other_tenant, name="Globex plan")
    return make_plan(AccountFactory(tenant=other_tenant, name="Globex customer"), start_date=START)
