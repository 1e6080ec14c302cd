"""TEMPORARY (not committed): screenshots of the SLA settings page."""
import os
from pathlib import Path

from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories import MembershipFactory, UserFactory
from tests.factories.tenancy import PASSWORD
from tickets import services
from tickets.seed import US_HOLIDAYS

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
ART = Path(__file__).resolve().parents[1] / "artifacts"


def sign_in(page, base, email):
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_shots(live_server, transactional_db, tenant):
    from playwright.sync_api import sync_playwright
    tenant.timezone = "America/Los_Angeles"; tenant.save()
    for email, role in (("sam@acme.example", Role.SUPPORT_MANAGER), ("carol@acme.example", Role.CSM)):
        MembershipFactory(tenant=tenant, user=UserFactory(email=email, full_name=email.split("@")[0].title()), role=role)
    with tenant_context(tenant):
        services.sla_policies_replace(policies=[
            {"severity": 1, "segment": None, "response_minutes": 60, "resolution_minutes": 240, "clock": "24x7"},
            {"severity": 1, "segment": "enterprise", "response_minutes": 30, "resolution_minutes": 180, "clock": "24x7"},
            {"severity": 2, "segment": None, "response_minutes": 240, "resolution_minutes": 480, "clock": "business_hours"},
            {"severity": 3, "segment": None, "response_minutes": 480, "resolution_minutes": 1440, "clock": "business_hours"},
            {"severity": 4, "segment": None, "response_minutes": 1440, "resolution_minutes": 7200, "clock": "business_hours"},
        ])
        services.business_hours_update(timezone_name="America/Los_Angeles", intervals=[
            {"weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)], holidays=US_HOLIDAYS[:11])
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for email, name in (("sam@acme.example", "manager"), ("carol@acme.example", "csm")):
            ctx = browser.new_context(viewport={"width": 1360, "height": 900})
            page = ctx.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            sign_in(page, live_server.url, email)
            page.goto(f"{live_server.url}/tickets/settings/")
            page.screenshot(path=str(ART / f"tickets-settings-{name}.png"), full_page=True)
            if name == "manager":
                page.click("[data-formset-add=policy]")
                page.fill("#id_policy-5-response_minutes", "90")
                page.fill("#id_policy-5-resolution_minutes", "60")
                page.select_option("#id_policy-5-severity", "2")
                page.check("#id_policy-1-DELETE")
                page.screenshot(path=str(ART / "tickets-settings-manager-edit.png"), full_page=True)
                page.click("text=Save SLA policies")
                page.wait_for_load_state()
                page.screenshot(path=str(ART / "tickets-settings-manager-error.png"), full_page=True)
                page.goto(f"{live_server.url}/tickets/settings/")
                page.fill("#id_interval-0-end", "12:00")
                page.click("[data-formset-add=interval]")
                page.select_option("#id_interval-5-weekday", "0")
                page.fill("#id_interval-5-start", "13:00")
                page.fill("#id_interval-5-end", "18:00")
                page.click("text=Save business hours")
                page.wait_for_load_state()
                page.screenshot(path=str(ART / "tickets-settings-manager-saved.png"), full_page=True)
            ctx.close()
        browser.close()
    assert errors == []
