"""The renewal and expansion settings pages: the current values, a save, bad input (the form says why and
nothing is written), read-only for members without ``renewals.configure`` (403 on a save), and the links
that lead to them."""

from __future__ import annotations

import pytest

from core.registries.expansion import all_triggers
from renewals.models import OpportunitySettings, RenewalSettings
from renewals.models.renewal import DEFAULT_CHURN_REASONS
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
RENEWAL = "/renewals/settings/"
EXPANSION = "/renewals/settings/expansion/"


def renewal_form(**changes):
    data = {
        "window_days": "90", "term_months": "24", "churn_reasons": "Budget cuts\n\nCompetitor\nBudget cuts\n",
        "motions-TOTAL_FORMS": "4", "motions-INITIAL_FORMS": "3", "motions-MIN_NUM_FORMS": "0",
        "motions-MAX_NUM_FORMS": "12",
        "motions-0-offset": "90", "motions-0-steps": "Health score review\nStakeholder mapping",
        "motions-1-offset": "60", "motions-1-steps": "Renewal meeting",
        "motions-2-offset": "30", "motions-2-steps": "Contract finalization", "motions-2-DELETE": "on",
        "motions-3-offset": "45", "motions-3-steps": "  Send the quote  \n",
    }
    for trigger in all_triggers():  # other apps' triggers (advocacy's promoter_response) keep their defaults
        if trigger.key not in ("seat_utilisation", "usage_growth"):
            data.update({f"{trigger.key}__enabled": "on"} | {f"{trigger.key}__{k}": str(v) for k, v in trigger.params.items()})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def expansion_form(**changes):
    data = {f"stage__{s}": str(p) for s, p in {
        "identify": 5, "business_case": 20, "executive_alignment": 35, "discussion": 50, "proposal": 60,
        "negotiation": 80, "won": 100, "lost": 0}.items()}
    data.update({"seat_utilisation__enabled": "on", "seat_utilisation__percent": "85", "seat_utilisation__days": "21",
                 "usage_growth__percent": "42.5", "usage_growth__days": "30"})
    for trigger in all_triggers():  # other apps' triggers (advocacy's promoter_response) keep their defaults
        if trigger.key not in ("seat_utilisation", "usage_growth"):
            data.update({f"{trigger.key}__enabled": "on"} | {f"{trigger.key}__{k}": str(v) for k, v in trigger.params.items()})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def renewal_row():
    return RenewalSettings.all_tenants.first()


def expansion_row():
    return OpportunitySettings.all_tenants.first()


# --------------------------------------------------------------------------- renewal settings


def test_renewal_settings_show_the_defaults(alice_client):
    response = alice_client.get(RENEWAL)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Renewal window (days)", 'value="120"', "Stakeholder mapping", "Contract finalization",
                 DEFAULT_CHURN_REASONS[0], "Save renewal settings", 'name="motions-3-offset"'):
        assert text in html, text
    assert renewal_row() is None  # reading writes nothing


def test_save_renewal_settings(alice_client, tenant):
    response = alice_client.post(RENEWAL, renewal_form())
    assert response.status_code == 302 and response.url == RENEWAL
    row = renewal_row()
    assert row.tenant == tenant and (row.window_days, row.term_months) == (90, 24)
    assert row.churn_reasons == ["Budget cuts", "Competitor"]
    assert row.motions == [
        {"offset": 90, "steps": ["Health score review", "Stakeholder mapping"]},
        {"offset": 60, "steps": ["Renewal meeting"]},
        {"offset": 45, "steps": ["Send the quote"]},
    ]
    assert "Renewal settings saved" in alice_client.get(RENEWAL).content.decode()


@pytest.mark.parametrize(("changes", "where", "message"), [
    ({"window_days": "0"}, "window_days", "greater than or equal to 1"),
    ({"window_days": "x"}, "window_days", "Enter a whole number"),
    ({"term_months": "121"}, "term_months", "less than or equal to 120"),
    ({"churn_reasons": "\n".join(f"Reason {i}" for i in range(51))}, "churn_reasons", "At most 50 reasons"),
    ({"motions-3-offset": ""}, "motions-3-offset", "how many days before"),
    ({"motions-3-steps": ""}, "motions-3-steps", "At least one step"),
    ({"motions-3-offset": "-1"}, "motions-3-offset", "greater than or equal to 0"),
    ({"motions-3-offset": "60"}, "motions", "Two motions at 60 days"),
    ({"motions-1-steps": "x" * 201}, "motions-1-steps", "At most 200 characters"),
])
def test_bad_renewal_settings_say_why_and_write_nothing(alice_client, changes, where, message):
    response = alice_client.post(RENEWAL, renewal_form(**changes))
    assert response.status_code == 400
    form, motions = response.context["form"], response.context["motions"]
    if where == "motions":
        errors = list(motions.non_form_errors())
    elif where.startswith("motions-"):
        _, index, name = where.split("-")
        errors = motions.forms[int(index)].errors.get(name, [])
    else:
        errors = form.errors.get(where, [])
    assert any(message in e for e in errors), (form.errors, motions.errors, motions.non_form_errors())
    assert message.split("(")[0] in response.content.decode().replace("&#x27;", "'")
    assert renewal_row() is None


def test_a_refusal_keeps_what_was_saved(alice_client):
    assert alice_client.post(RENEWAL, renewal_form()).status_code == 302
    assert alice_client.post(RENEWAL, renewal_form(window_days="1000", term_months="6")).status_code == 400
    assert (renewal_row().window_days, renewal_row().term_months) == (90, 24)


@pytest.mark.parametrize("role", [Role.CSM, Role.VIEWER, Role.SUPPORT_MANAGER])
def test_without_the_right_the_page_is_read_only_and_a_save_is_refused(client, member, role):
    client.force_login(member(role))
    response = client.get(RENEWAL)
    html = response.content.decode()
    assert response.status_code == 200 and "Save renewal settings" not in html and "read-only-note" in html
    assert 'name="window_days" value="120"' in html and "disabled" in html
    assert client.post(RENEWAL, renewal_form()).status_code == 403
    assert renewal_row() is None


def test_a_vp_may_save(client, member):
    client.force_login(member(Role.VP))
    assert client.post(RENEWAL, renewal_form()).status_code == 302 and renewal_row().window_days == 90


def test_settings_are_the_tenants_own(alice_client, tenant, other_tenant):
    bob = UserFactory()
    MembershipFactory(tenant=other_tenant, user=bob, role=Role.ADMIN)
    with tenant_context(other_tenant):
        RenewalSettings.objects.create(window_days=33, churn_reasons=["zqx secret"])
    html = alice_client.get(RENEWAL).content.decode()
    assert "zqx secret" not in html and 'value="120"' in html
    assert alice_client.post(RENEWAL, renewal_form()).status_code == 302
    assert RenewalSettings.all_tenants.get(tenant=other_tenant).window_days == 33


# --------------------------------------------------------------------------- expansion settings


def test_expansion_settings_show_triggers_and_probabilities(alice_client):
    response = alice_client.get(EXPANSION)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Seats nearly full", "Usage growing fast", "Utilisation above (%)", 'name="seat_utilisation__percent"',
                 'value="90"', "Business case", 'name="stage__proposal"', 'value="65"', "Save expansion settings"):
        assert text in html, text
    assert expansion_row() is None


def test_save_expansion_settings(alice_client):
    response = alice_client.post(EXPANSION, expansion_form())
    assert response.status_code == 302 and response.url == EXPANSION
    row = expansion_row()
    assert row.stage_probabilities["identify"] == 5 and row.stage_probabilities["proposal"] == 60
    assert {k: v for k, v in row.trigger_params.items() if k in ("seat_utilisation", "usage_growth")} == {
        "seat_utilisation": {"enabled": True, "percent": 85, "days": 21},
        "usage_growth": {"enabled": False, "percent": 42.5, "days": 30},
    }
    html = alice_client.get(EXPANSION).content.decode()
    assert 'value="42.5"' in html and 'value="60"' in html


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"stage__proposal": "101"}, "stage__proposal", "less than or equal to 100"),
    ({"stage__proposal": ""}, "stage__proposal", "This field is required"),
    ({"seat_utilisation__percent": "0"}, "seat_utilisation__percent", "greater than or equal to 0.01"),
    ({"usage_growth__days": "abc"}, "usage_growth__days", "Enter a number"),
])
def test_bad_expansion_settings_say_why_and_write_nothing(alice_client, changes, field, message):
    response = alice_client.post(EXPANSION, expansion_form(**changes))
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field])
    assert 'aria-invalid="true"' in response.content.decode()
    assert expansion_row() is None


@pytest.mark.parametrize("role", [Role.CSM, Role.VIEWER])
def test_expansion_settings_without_the_right(client, member, role):
    client.force_login(member(role))
    html = client.get(EXPANSION).content.decode()
    assert "Save expansion settings" not in html and "disabled" in html
    assert client.post(EXPANSION, expansion_form()).status_code == 403
    assert expansion_row() is None


# --------------------------------------------------------------------------- navigation


def test_the_pages_are_linked(alice_client):
    settings = alice_client.get("/settings/").content.decode()
    assert RENEWAL in settings and EXPANSION in settings
    desk = alice_client.get("/renewals/").content.decode()
    for url in ("/renewals/pipeline/", "/renewals/retention/", RENEWAL, EXPANSION):
        assert f'href="{url}"' in desk, url
    pipeline = alice_client.get("/renewals/pipeline/").content.decode()
    assert 'href="/renewals/retention/"' in pipeline
    retention = alice_client.get("/renewals/retention/").content.decode()
    assert 'href="/renewals/retention/" aria-current="page"' in retention


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(RENEWAL).status_code == 302 and client.post(EXPANSION, {}).status_code == 302
