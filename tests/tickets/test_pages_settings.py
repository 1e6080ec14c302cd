"""The SLA settings page (/tickets/settings/): policy table, business hours, at-risk and escalation
settings, and the due-date preview. Every member reads it; only tickets.configure saves."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories.tickets import SlaPolicyFactory
from tickets.models import SlaPolicy, SupportSettings
from tickets.services import sla_config

URL = "/tickets/settings/"
MANAGEMENT = {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}


def formset_data(prefix: str, rows: list[dict], *, initial: int = 0) -> dict:
    data = {f"{prefix}-{key}": value for key, value in MANAGEMENT.items()}
    data |= {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": initial}
    for index, row in enumerate(rows):
        data |= {f"{prefix}-{index}-{key}": value for key, value in row.items()}
    return data


def policies_post(rows: list[dict], *, initial: int = 0) -> dict:
    return {"form": "policies", **formset_data("policy", rows, initial=initial)}


def hours_post(intervals: list[dict], *, timezone="America/Los_Angeles", holidays="") -> dict:
    return {"form": "hours", "timezone": timezone, "holidays": holidays, **formset_data("interval", intervals)}


def row(severity, response, resolution, segment="", clock="24x7") -> dict:
    return {"severity": severity, "segment": segment, "response_minutes": response, "resolution_minutes": resolution,
            "clock": clock}


def main_html(response) -> str:
    """The page below the top bar (the bar holds the sign-out form)."""
    return response.content.decode().split("<main", 1)[1]


class FormFields(HTMLParser):
    """The values a browser would submit for each form of a page, keyed by the form's hidden ``form`` field."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif not self.forms or "disabled" in a:
            return
        elif tag == "input" and a.get("type") != "checkbox" or (tag == "input" and "checked" in a):
            self.forms[-1][a["name"]] = a.get("value") or ("on" if a.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select = a["name"]
            self.forms[-1].setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.forms[-1][self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.forms[-1][self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.forms[-1][self._textarea] += data

    @classmethod
    def of(cls, html: str) -> dict[str, dict[str, str]]:
        parser = cls()
        parser.feed(html)
        return {form["form"]: form for form in parser.forms if "form" in form}


def stored_policies(tenant) -> list[tuple]:
    return sorted(SlaPolicy.all_tenants.filter(tenant=tenant).values_list(
        "severity", "segment", "response_minutes", "resolution_minutes", "clock"), key=str)


@pytest.fixture
def manager_client(client, member):
    client.force_login(member(Role.SUPPORT_MANAGER))
    return client


@pytest.fixture
def csm_client(client, member):
    client.force_login(member(Role.CSM))
    return client


@pytest.fixture
def acme_config(tenant):
    """Acme: a segment row, business hours in Los Angeles with two intervals on Monday, a holiday."""
    with tenant_context(tenant):
        sla_config.sla_policies_replace(policies=[
            row(1, 60, 240), row(1, 30, 120, segment="enterprise"), row(2, 240, 480, clock="business_hours"),
            row(3, 480, 1440), row(4, 1440, 7200),
        ])
        sla_config.business_hours_update(
            timezone_name="America/Los_Angeles",
            intervals=[{"weekday": 0, "start": "08:00", "end": "12:00"}, {"weekday": 0, "start": "13:00", "end": "18:00"}]
            + [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(1, 5)],
            holidays=["2026-05-25", "2026-12-25"],
        )
        sla_config.support_settings_update(at_risk_percent=80, escalate_after_minutes=36 * 60)


# --------------------------------------------------------------------------- reading


def test_settings_index_links_here(alice_client):
    html = alice_client.get(reverse("settings")).content.decode()
    assert reverse("tickets:sla_settings") == URL and f'href="{URL}"' in html


def test_anonymous_is_sent_to_login(client, tenant):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("role", [Role.CSM, Role.VIEWER, Role.SUPPORT_ENGINEER, Role.VP])
def test_every_member_reads_it_without_controls(client, member, acme_config, role):
    client.force_login(member(role))
    response = client.get(URL)
    assert response.status_code == 200
    html = main_html(response)
    for control in ("<form", "<input", "<select", "<textarea", "<button", 'type="submit"'):
        assert control not in html, control
    assert "support operations managers and admins change them" in html
    # The table, in human durations, and the fallback rule in words.
    assert "Enterprise" in html and "30 min" in html and "2 h" in html and "5 d" in html and "1 d" in html
    assert "severity + account segment row, else its severity + any segment row, else the defaults" in html
    # Business hours: the weekly summary, the weekly total, the holidays; the escalation settings.
    assert "Mon 08:00-12:00 and 13:00-18:00; Tue-Fri 08:00-18:00, America/Los_Angeles; 2 holidays" in html
    assert "49 h" in html  # 9 h on Monday + 4 x 10 h
    assert "Mon 25 May 2026" in html and "80%" in html and "1 d 12 h" in html


def test_defaults_shown_when_nothing_is_saved(csm_client):
    html = main_html(csm_client.get(URL))
    assert "The built-in defaults (nothing saved yet)" in html
    assert "Mon-Fri 09:00-17:00, UTC; 0 holidays" in html and "40 h" in html
    assert "Never" not in html and "1 d" in html  # escalate after 24 h by default


def test_manager_gets_the_forms(manager_client, acme_config):
    response = manager_client.get(URL)
    html = main_html(response)
    assert response.status_code == 200
    assert html.count('method="post"') == 3
    assert 'name="policy-TOTAL_FORMS" value="6"' in html  # five rows and a blank one
    assert 'name="interval-TOTAL_FORMS" value="7"' in html  # six intervals and a blank one
    assert 'value="America/Los_Angeles" selected' in html and "2026-05-25\n2026-12-25" in html
    assert 'name="escalate_after_hours" value="36"' in html and 'name="at_risk_percent" value="80"' in html


def test_saving_the_forms_as_rendered_changes_nothing(manager_client, tenant, acme_config):
    """The rendered forms round-trip: each one, submitted untouched, saves what was there."""
    before = (stored_policies(tenant), SupportSettings.all_tenants.filter(tenant=tenant).values(
        "timezone", "intervals", "holidays", "at_risk_percent", "escalate_after_minutes").get())
    forms = FormFields.of(main_html(manager_client.get(URL)))
    assert set(forms) == {"policies", "hours", "escalation"}
    for data in forms.values():
        data.pop("csrfmiddlewaretoken", None)
        response = manager_client.post(URL, data)
        assert response.status_code == 302, main_html(response)
    after = (stored_policies(tenant), SupportSettings.all_tenants.filter(tenant=tenant).values(
        "timezone", "intervals", "holidays", "at_risk_percent", "escalate_after_minutes").get())
    assert after == before


def test_coverage_gaps_are_pointed_out(csm_client, tenant):
    with tenant_context(tenant):
        sla_config.sla_policies_replace(policies=[row(1, 60, 240), row(2, 240, 480, segment="enterprise")])
    html = main_html(csm_client.get(URL))
    assert "Sev2 tickets of Mid-Market, SMB accounts get the default (4 h / 8 h, 24x7)" in html
    assert "Sev3 has no row: every Sev3 ticket gets the default (8 h / 1 d, 24x7)." in html


def test_preview_uses_the_saved_policy_and_calendar(csm_client, tenant, clock):
    """Monday 2 March 2026 09:00 UTC; business hours Mon-Fri 09:00-17:00 UTC."""
    with tenant_context(tenant):
        sla_config.sla_policies_replace(policies=[
            row(2, 240, 600, clock="business_hours"), row(2, 30, 90, segment="enterprise"),
        ])
        sla_config.business_hours_update(
            timezone_name="UTC", intervals=[{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
        )
    html = main_html(csm_client.get(URL))
    preview = html.split('id="sla-preview"')[1]
    sev2 = preview.split("Sev2</span>")[1].split("</tr>")[0]
    enterprise, mid_market, _smb = sev2.split("<td>")[1:]
    assert "Mon 2 Mar, 09:30" in enterprise and "Mon 2 Mar, 10:30" in enterprise and "Sev2 · Enterprise" in enterprise
    assert "Mon 2 Mar, 13:00" in mid_market and "Tue 3 Mar, 11:00" in mid_market  # 8 h Monday + 2 h Tuesday
    assert "Sev2 · any segment · Business hours" in mid_market
    sev1 = preview.split("Sev1</span>")[1].split("</tr>")[0]
    assert "Mon 2 Mar, 10:00" in sev1 and "Mon 2 Mar, 13:00" in sev1 and "API default · 24x7" in sev1


def test_preview_times_are_in_the_tenant_time_zone(csm_client, tenant, clock):
    tenant.timezone = "America/New_York"
    tenant.save()
    html = main_html(csm_client.get(URL))
    assert "Opened Mon 2 Mar, 04:00 (America/New_York)" in html
    assert "Mon 2 Mar, 05:00" in html.split('id="sla-preview"')[1]  # Sev1: 60 min, 24x7


def test_other_tenant_sees_only_its_own_settings(client, tenant, other_tenant, bob, acme_config):
    with tenant_context(other_tenant):
        sla_config.sla_policies_replace(policies=[row(1, 45, 333)])
        sla_config.business_hours_update(
            timezone_name="Europe/Berlin", intervals=[{"weekday": 5, "start": "10:00", "end": "14:00"}],
        )
    client.force_login(bob)
    html = main_html(client.get(URL))
    assert "45 min" in html and "5 h 33 min" in html and "Sat 10:00-14:00, Europe/Berlin; 0 holidays" in html
    assert 'value="Europe/Berlin" selected' in html
    for acme_value in ('"America/Los_Angeles" selected', ", America/Los_Angeles;", "in America/Los_Angeles", "30 min",
                       "2026-05-25", "25 May", "80%", 'value="13:00"', 'value="36"'):
        assert acme_value not in html, acme_value
    assert 'value="1440"' not in html and 'value="7200"' not in html  # acme's rows, not in globex's formset


def test_query_count_does_not_grow_with_the_configuration(manager_client, tenant, django_assert_max_num_queries):
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert manager_client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    manager_client.get(URL)  # the first request after signing in also touches the session
    small = count()
    with tenant_context(tenant):
        sla_config.sla_policies_replace(policies=[
            row(sev, 10 * sev, 100 * sev, segment=seg, clock="business_hours")
            for sev in range(1, 5) for seg in ("", "enterprise", "mid_market", "smb")
        ])
        sla_config.business_hours_update(
            timezone_name="Europe/Paris",
            intervals=[{"weekday": d, "start": f"{h:02d}:00", "end": f"{h + 1:02d}:00"} for d in range(7)
                       for h in range(0, 24, 2)],
            holidays=[f"2026-{m:02d}-{d:02d}" for m in range(1, 13) for d in (1, 15)],
        )
    with django_assert_max_num_queries(small):
        assert manager_client.get(URL).status_code == 200
    assert small <= 7  # session, user, membership, policies, support settings, tenant switcher


# --------------------------------------------------------------------------- saving


def test_manager_saves_the_policy_table(manager_client, tenant, api):
    response = manager_client.post(URL, policies_post([
        row(1, 60, 240), row(1, 15, 120, segment="enterprise", clock="business_hours"), row(2, 240, 480),
        row("", "", ""),  # the blank row is ignored
    ]))
    assert response.status_code == 302 and response["Location"] == f"{URL}#sla-policies"
    assert stored_policies(tenant) == sorted([
        (1, None, 60, 240, "24x7"), (1, "enterprise", 15, 120, "business_hours"), (2, None, 240, 480, "24x7"),
    ], key=str)
    listed = api.get("/api/v1/sla-policies/").json()
    assert {"severity": 1, "segment": "enterprise", "response_minutes": 15, "resolution_minutes": 120,
            "clock": "business_hours"} in listed
    assert "SLA policies saved (3 rows)" in main_html(manager_client.get(URL))


def test_removing_a_row(manager_client, tenant, acme_config):
    rows = [row(1, 60, 240), row(1, 30, 120, segment="enterprise") | {"DELETE": "on"}, row(2, 240, 480)]
    assert manager_client.post(URL, policies_post(rows, initial=3)).status_code == 302
    assert [p[:2] for p in stored_policies(tenant)] == [(1, None), (2, None)]


@pytest.mark.parametrize(("rows", "message"), [
    ([row(1, 60, 240), row(1, 30, 120)], "Same severity and segment as row 1."),
    ([row(2, 240, 120)], "Shorter than the response target."),
    ([row(2, 0, 120)], "At least 1 minute."),
    ([row(2, -5, 120)], "At least 1 minute."),
    ([row(2, "", 120)], "Required."),
    ([row(9, 60, 120)], "Select a valid choice."),
    ([row(2, 60, 120, segment="galactic")], "Select a valid choice."),
    ([row(2, 60, 120, clock="lunar")], "Select a valid choice."),
])
def test_bad_policy_rows_write_nothing(manager_client, tenant, acme_config, rows, message):
    before = stored_policies(tenant)
    response = manager_client.post(URL, policies_post(rows))
    assert response.status_code == 400
    html = main_html(response)
    assert "Not saved." in html and message in html
    assert stored_policies(tenant) == before


def test_manager_saves_business_hours(manager_client, tenant, api):
    intervals = [{"weekday": 0, "start": "08:00", "end": "12:00"}, {"weekday": 0, "start": "13:00", "end": "18:00"},
                 {"weekday": 5, "start": "20:00", "end": "24:00"}, {"weekday": "", "start": "", "end": ""}]
    response = manager_client.post(URL, hours_post(intervals, holidays="2026-12-25\n\n2026-01-01, 2026-12-25\n"))
    assert response.status_code == 302 and response["Location"] == f"{URL}#business-hours"
    assert api.get("/api/v1/business-hours/").json() == {
        "timezone": "America/Los_Angeles",
        "intervals": [{"weekday": 0, "start": "08:00", "end": "12:00"}, {"weekday": 0, "start": "13:00", "end": "18:00"},
                      {"weekday": 5, "start": "20:00", "end": "24:00"}],
        "holidays": ["2026-01-01", "2026-12-25"],
    }
    html = main_html(manager_client.get(URL))
    assert "Mon 08:00-12:00 and 13:00-18:00; Sat 20:00-24:00, America/Los_Angeles; 2 holidays" in html


@pytest.mark.parametrize(("data", "message"), [
    (hours_post([{"weekday": 0, "start": "09:00", "end": "17:00"}], timezone="Mars/Olympus"), "Select a valid choice"),
    (hours_post([{"weekday": 0, "start": "17:00", "end": "09:00"}]), "Ends before it starts (17:00)."),
    (hours_post([{"weekday": 0, "start": "9am", "end": "17:00"}]), "A time as HH:MM (00:00-24:00)."),
    (hours_post([{"weekday": 0, "start": "24:00", "end": "24:00"}]), "can&#x27;t start at 24:00"),
    (hours_post([{"weekday": 0, "start": "08:00", "end": "12:00"}, {"weekday": 0, "start": "11:00", "end": "18:00"}]),
     "Overlaps row 1 (08:00-12:00)."),
    (hours_post([{"weekday": "", "start": "", "end": ""}]), "Business hours need at least one interval."),
    (hours_post([{"weekday": 0, "start": "09:00", "end": "17:00"}], holidays="2026-12-25\nChristmas\n2026-02-30"),
     "Not a date (YYYY-MM-DD): line 2: “Christmas”; line 3: “2026-02-30”."),
    (hours_post([{"weekday": 0, "start": "09:00", "end": "17:00"}], holidays="2026-12-25\nDec 25 2026\n"),
     "Not a date (YYYY-MM-DD): line 2: “Dec 25 2026”."),  # one error naming the line, not one per word
    (hours_post([{"weekday": 0, "start": "09:00", "end": "17:00"}], holidays="2026-12-25, 26.12.2026"),
     "Not a date (YYYY-MM-DD): line 1: “2026-12-25, 26.12.2026”."),
])
def test_bad_business_hours_write_nothing(manager_client, tenant, acme_config, data, message):
    before = SupportSettings.all_tenants.values().get(tenant=tenant)
    response = manager_client.post(URL, data)
    assert response.status_code == 400
    html = main_html(response)
    assert "Not saved." in html and message in html
    assert SupportSettings.all_tenants.values().get(tenant=tenant) == before


def test_manager_saves_escalation_settings(manager_client, tenant, api):
    response = manager_client.post(URL, {"form": "escalation", "at_risk_percent": "60", "escalate_after_hours": "1.5"})
    assert response.status_code == 302 and response["Location"] == f"{URL}#escalation"
    assert api.get("/api/v1/support-settings/").json() == {"at_risk_percent": 60, "escalate_after_minutes": 90}
    html = main_html(manager_client.get(URL))
    assert 'name="escalate_after_hours" value="1.5"' in html and "1 h 30 min" in html
    # Empty: never escalate by age.
    manager_client.post(URL, {"form": "escalation", "at_risk_percent": "60", "escalate_after_hours": ""})
    assert api.get("/api/v1/support-settings/").json()["escalate_after_minutes"] is None


@pytest.mark.parametrize(("data", "message"), [
    ({"at_risk_percent": "0", "escalate_after_hours": "24"}, "1 to 100."),
    ({"at_risk_percent": "101", "escalate_after_hours": "24"}, "1 to 100."),
    ({"at_risk_percent": "75", "escalate_after_hours": "-1"}, "At least 3 minutes"),
    ({"at_risk_percent": "75", "escalate_after_hours": "soon"}, "Enter a number."),
])
def test_bad_escalation_settings_write_nothing(manager_client, tenant, acme_config, data, message):
    response = manager_client.post(URL, {"form": "escalation", **data})
    assert response.status_code == 400 and message in main_html(response)
    saved = SupportSettings.all_tenants.get(tenant=tenant)
    assert (saved.at_risk_percent, saved.escalate_after_minutes) == (80, 36 * 60)


def test_every_bad_row_is_named_at_once(manager_client, tenant):
    response = manager_client.post(URL, policies_post([row(1, 60, 240), row(2, 0, 10), row(1, 30, 60)]))
    html = main_html(response)
    assert response.status_code == 400 and "At least 1 minute." in html and "Same severity and segment as row 1." in html
    assert html.count('class="sla-policy-row row-bad"') == 2 and not stored_policies(tenant)


def test_unknown_form_is_400(manager_client):
    assert manager_client.post(URL, {"form": "nope"}).status_code == 400


@pytest.mark.parametrize("role", [Role.CSM, Role.VIEWER, Role.SUPPORT_ENGINEER, Role.VP])
def test_post_without_tickets_configure_is_403(client, member, tenant, acme_config, role):
    client.force_login(member(role))
    before = stored_policies(tenant)
    for data in (policies_post([row(1, 5, 10)]), hours_post([{"weekday": 6, "start": "00:00", "end": "24:00"}]),
                 {"form": "escalation", "at_risk_percent": "10", "escalate_after_hours": "1"}):
        assert client.post(URL, data).status_code == 403
    assert stored_policies(tenant) == before
    saved = SupportSettings.all_tenants.get(tenant=tenant)
    assert (saved.timezone, saved.at_risk_percent) == ("America/Los_Angeles", 80)


def test_a_post_changes_only_the_members_tenant(client, bob, tenant, other_tenant):
    with tenant_context(tenant):
        SlaPolicyFactory(tenant=tenant, severity=1, response_minutes=11, resolution_minutes=22)
    client.force_login(bob)
    assert client.post(URL, policies_post([row(3, 100, 200)])).status_code == 302
    assert stored_policies(other_tenant) == [(3, None, 100, 200, "24x7")]
    assert stored_policies(tenant) == [(1, None, 11, 22, "24x7")]


def test_a_row_for_a_segment_that_no_longer_exists(manager_client, tenant):
    with tenant_context(tenant):
        sla_config.sla_policies_replace(policies=[row(1, 60, 240), row(1, 30, 120, segment="smb")])
    tenant.segment_thresholds = [{"key": "large", "label": "Large", "min_arr": "50000"},
                                 {"key": "small", "label": "Small", "min_arr": "0"}]
    tenant.save()
    html = main_html(manager_client.get(URL))
    assert "smb (no longer a segment)" in html and "Large account" in html
    # Saved as it is, the service refuses the stale row; removing it saves.
    response = manager_client.post(URL, policies_post([row(1, 60, 240), row(1, 30, 120, segment="smb")], initial=2))
    assert response.status_code == 400 and "unknown segment &#x27;smb&#x27;" in main_html(response)
    rows = [row(1, 60, 240), row(1, 30, 120, segment="smb") | {"DELETE": "on"}, row(1, 20, 90, segment="large")]
    assert manager_client.post(URL, policies_post(rows, initial=2)).status_code == 302
    assert set(stored_policies(tenant)) == {(1, None, 60, 240, "24x7"), (1, "large", 20, 90, "24x7")}
