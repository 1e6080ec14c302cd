"""Tenant isolation, route by route: every route of ``get_resolver()`` is either

- **covered** (it captures an object id): an admin of acme, by session and (under /api/) by a read-write API
  key, gets 404 for every verb on globex's object, and globex's rows are unchanged afterwards; a 405 is
  accepted only when the same verb is 405 on acme's own object too (the verb is not supported at all);
- **tenant-wide** (no object id): globex's data never appears in what acme reads there;
- **public** or **platform** (sign-in, signed links, healthz, schema and docs, the staff-only admin), each
  with its own test below.

A new route that is in none of these tables fails ``test_every_route_is_classified``: no route ships
without its isolation check. Entries that no longer match a route fail ``test_tables_match_the_routes``.
The builders that create each route's objects are in tests/route_objects.py.
"""

from __future__ import annotations

import json
import sys
from urllib.parse import urlencode

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from tenancy.middleware import SESSION_TENANT_KEY
from tenancy.models import Membership, Role
from tenancy.services import api_key_create, api_key_reveal_create, invitation_create
from tests.factories import AccountFactory, TicketFactory, make_api_key
from tests.route_objects import BUILDERS, MARKER, MIXED, OWN_MARKER, all_routes, fingerprint, tenant_world
from tickets.models import Ticket

VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Not 404 is accepted only when acme's own object gets the same answer (the verb is refused before any
# lookup, so the answer cannot tell whether globex's object exists): 405 for a verb the route does not
# support (read-only API views included: TenantApiPermission lets an unimplemented verb reach DRF's 405).
REFUSED_FOR_ANY_OBJECT = (405,)

# Routes without an object id: what they list or change is the caller's own tenant.
TENANT_WIDE = {
    # pages
    "dashboard", "overview", "switch_tenant", "settings", "settings_members", "settings_member_invite", "settings_api_keys",
    "settings_api_key_create",
    "accounts:list", "accounts:create", "accounts:export", "accounts:import", "accounts:my_tasks",
    "health:scorecard", "health:recompute", "dashboards:scorecard_dry_run", "health:event_mappings",
    "tickets:queue", "tickets:sla_settings", "tickets:create", "tickets:bulk_assign", "tickets:save_view",
    "knowledge:home", "knowledge:category_create", "knowledge:categories_defaults", "knowledge:article_create",
    "knowledge:article_preview",
    "onboarding:board", "onboarding:my_tasks", "onboarding:plan_start", "onboarding:templates",
    "onboarding:template_create", "cadences:list", "cadences:create", "renewals:desk", "opportunities:pipeline",
    "renewals:retention", "renewals:retention_export", "renewals:settings", "renewals:expansion_settings",
    "dashboards:support", "dashboards:support_export", "dashboards:refresh", "dashboards:score_validation",
    "dashboards:portfolio", "dashboards:portfolio_export", "dashboards:my_book", "dashboards:digest_preferences",
    "dashboards:kpi_targets", "dashboards:kpi_target_create",
    # API
    "api-account-list", "api-contact-list", "api-usage", "api-health-recompute", "api-health-scorecard",
    "api-health-sources", "api-health-risk-rules", "api-ticket-list", "api-inbound-email-list",
    "api-inbound-email-triage", "api-sla-policies", "api-business-hours", "api-support-settings",
    "api-kb-article-list", "api-kb-category-list", "api-onboarding-template-list", "api-onboarding-plan-list",
    "api-onboarding-task-list", "api-touchpoint-cadence-list", "api-arr-movement-list", "api-metrics-retention",
    "api-metrics-retention-monthly", "api-renewal-list", "api-opportunity-list", "api-opportunity-pipeline",
    "api-expansion-settings", "api-renewal-settings", "api-kpi-target-list",
    "api-events-track", "api-events-identify", "api-events-group", "api-events-batch", "api-event-mappings",
    # advocacy: the reference program
    "api-reference-list", "api-reference-pool", "api-reference-capacity", "api-reference-settings", "api-advocates",
    "api-reference-reward-list", "api-case-study-list", "api-case-study-progress", "api-advocacy-activity-list",
    "references:pool", "references:board", "references:case_studies", "references:settings",
    "references:rewards", "references:activities",
    # advocacy: surveys
    "api-survey-response-list", "api-metrics-nps", "api-metrics-csat",
    "surveys:campaigns", "surveys:create", "surveys:responses", "surveys:report", "surveys:settings",
    # integrations: webhooks and Slack notifications
    "integrations:endpoints", "integrations:webhook_create", "integrations:slack_create", "api-webhook-list",
}

# The tenant-wide routes whose GET lists the tenant's things, in a list or a picker (the control: acme's
# own world shows there, so the absence of globex's is meaningful).
LISTS = {
    "accounts:list", "accounts:export", "tickets:queue", "knowledge:home", "onboarding:board",
    "onboarding:templates", "settings_members", "settings_api_keys", "tickets:create", "knowledge:article_create",
    "api-account-list", "api-contact-list", "api-ticket-list", "api-inbound-email-list",
    "api-inbound-email-triage", "api-kb-article-list",
    "api-kb-category-list", "api-onboarding-template-list", "api-onboarding-plan-list",
    "cadences:list", "api-touchpoint-cadence-list", "api-opportunity-list", "opportunities:pipeline",
    "renewals:retention", "renewals:retention_export",
    "api-reference-list", "api-reference-reward-list", "api-case-study-list", "api-advocacy-activity-list",
    "references:board", "references:case_studies", "references:rewards", "references:activities",
    "api-survey-response-list", "surveys:campaigns", "surveys:responses",
    "dashboards:support", "dashboards:support_export", "dashboards:kpi_targets", "api-kpi-target-list",
    "integrations:endpoints", "api-webhook-list",
}

# Routes open without a tenant, or reached by a token rather than an id: each has its own test (named here).
PUBLIC_ROUTES = {
    "healthz": "test_healthz_is_public_and_has_no_tenant_data",
    "accessibility": "test_accessibility_statement_is_public_and_has_no_tenant_data",
    "login": "test_sign_in_pages_are_public",
    "logout": "test_sign_in_pages_are_public",
    "password_reset": "test_sign_in_pages_are_public",
    "password_reset_done": "test_sign_in_pages_are_public",
    "password_reset_complete": "test_sign_in_pages_are_public",
    "password_reset_confirm": "test_password_reset_link_with_a_tampered_token_is_refused",
    "invitation_accept": "test_invitation_link_tampered_or_another_tenants_never_joins",
    "api-schema": "test_schema_and_docs_have_no_tenant_data",
    "api-docs": "test_schema_and_docs_have_no_tenant_data",
    "api-redoc": "test_schema_and_docs_have_no_tenant_data",
    "survey_respond": "test_survey_links_tampered_or_another_tenants_are_refused",
    "survey_unsubscribe": "test_survey_links_tampered_or_another_tenants_are_refused",
    # Not public, but reached by a one-time token: another tenant's token answers as an unknown one.
    "settings_api_key_created": "test_api_key_reveal_of_another_tenant_is_never_shown",
}

# Whole namespaces for platform staff, not tenants.
PLATFORM_NAMESPACES = {"admin": "test_admin_site_is_for_platform_staff_only"}


ROUTES = all_routes()
ROUTE_BY_KEY = {route.key: route for route in ROUTES}


def _classified(route) -> bool:
    return (
        route.key in BUILDERS or route.key in TENANT_WIDE or route.key in PUBLIC_ROUTES
        or route.namespace.split(":")[0] in PLATFORM_NAMESPACES
    )


def test_every_route_is_classified():
    missing = [f"{r.key}  ({r.pattern}, captures {list(r.kwargs)})" for r in ROUTES if not _classified(r)]
    assert not missing, (
        "Routes without an isolation check. Add each to BUILDERS in tests/route_objects.py (it captures an "
        "object id: create the object with the factories), to TENANT_WIDE, or to PUBLIC_ROUTES with its own "
        "test:\n  " + "\n  ".join(missing)
    )


def test_tables_match_the_routes():
    stale = sorted(
        name for name in [*BUILDERS, *MIXED, *TENANT_WIDE, *PUBLIC_ROUTES] if name not in ROUTE_BY_KEY
    )
    assert not stale, f"Entries for routes that no longer exist (remove or rename them): {stale}"
    with_ids = sorted(name for name in TENANT_WIDE if ROUTE_BY_KEY[name].kwargs)
    assert not with_ids, f"Tenant-wide routes that capture an id (they belong in BUILDERS): {with_ids}"
    without_ids = sorted(name for name in BUILDERS if not ROUTE_BY_KEY[name].kwargs)
    assert not without_ids, f"BUILDERS entries for routes without an id (they belong in TENANT_WIDE): {without_ids}"
    module = sys.modules[__name__]
    tests = {*PUBLIC_ROUTES.values(), *PLATFORM_NAMESPACES.values()}
    assert all(callable(getattr(module, name, None)) for name in tests), "every public route names its test"
    unnamed = [r.pattern for r in ROUTES if not r.named and r.namespace not in PLATFORM_NAMESPACES]
    assert not unnamed, f"Unnamed routes (name them, the tables are keyed by name): {unnamed}"


# --------------------------------------------------------------------------- covered routes


def _cases():
    for name in sorted(BUILDERS):
        route = ROUTE_BY_KEY.get(name)
        if route is None:
            continue  # reported by test_tables_match_the_routes
        for auth in ("session", "key") if route.is_api else ("session",):
            variants = ("other", "mixed") if name in MIXED else ("other",)
            for variant in variants:
                for verb in VERBS:
                    yield pytest.param(name, auth, variant, verb, id=f"{name}-{variant}-{auth}-{verb}")


@pytest.fixture
def acme_admin_session(alice):
    c = Client()
    c.force_login(alice)
    return c


@pytest.fixture
def acme_key_client(tenant):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(tenant, scopes=('read', 'write'))}")
    return c


def _send(client, verb: str, url: str, *, api: bool, data: dict | None = None):
    method = getattr(client, verb.lower())
    data = data or {}
    if verb in ("GET", "DELETE"):
        return method(url)
    if api:
        return method(url, data=json.dumps(data), content_type="application/json")
    if verb == "POST":
        return method(url, data=data)
    return method(url, data=urlencode(data), content_type="application/x-www-form-urlencoded")


def _built(kwargs: dict) -> tuple[dict, dict]:
    kwargs = dict(kwargs)
    return kwargs, kwargs.pop("_data", {})


@pytest.mark.parametrize(("name", "auth", "variant", "verb"), list(_cases()))
def test_other_tenants_object_is_404(
    name, auth, variant, verb, request, tenant, other_tenant, alice, bob, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    route = ROUTE_BY_KEY[name]
    client = request.getfixturevalue("acme_admin_session" if auth == "session" else "acme_key_client")
    kwargs, data = _built(MIXED[name](tenant, other_tenant) if variant == "mixed" else BUILDERS[name](other_tenant))
    url = reverse(name, kwargs=kwargs)
    before = fingerprint(other_tenant)

    response = _send(client, verb, url, api=route.is_api, data=data)

    where = f"{verb} {url} ({name}) as an acme admin by {auth}"
    after = fingerprint(other_tenant)
    changed = sorted(table for table in before if before[table] != after[table])
    assert not changed, f"{where} ({response.status_code}) changed globex's rows in {changed}"
    if response.status_code in REFUSED_FOR_ANY_OBJECT:
        own_kwargs, own_data = _built(BUILDERS[name](tenant))
        own_status = _send(client, verb, reverse(name, kwargs=own_kwargs), api=route.is_api, data=own_data).status_code
        assert own_status == response.status_code, (
            f"{where}: {response.status_code} on globex's object but {own_status} on acme's own"
        )
    else:
        assert response.status_code == 404, f"{where}: {response.status_code}, expected 404"


def _own_cases():
    for name in sorted(BUILDERS):
        route = ROUTE_BY_KEY.get(name)
        for auth in ("session", "key") if route and route.is_api else ("session",):
            yield pytest.param(name, auth, id=f"{name}-{auth}")


@pytest.mark.parametrize(("name", "auth"), list(_own_cases()))
def test_own_object_is_found(name, auth, request, tenant, alice, settings, tmp_path):
    """The control of the test above: the builder's object, in acme, is found by acme (else a 404 above
    would prove nothing). The first verb the route supports must not be 404."""
    settings.MEDIA_ROOT = tmp_path
    if name not in ROUTE_BY_KEY:
        pytest.skip("reported by test_tables_match_the_routes")
    route = ROUTE_BY_KEY[name]
    client = request.getfixturevalue("acme_admin_session" if auth == "session" else "acme_key_client")
    kwargs, data = _built(BUILDERS[name](tenant))
    url = reverse(name, kwargs=kwargs)
    statuses = {}
    for verb in VERBS:
        statuses[verb] = _send(client, verb, url, api=route.is_api, data=data).status_code
        if statuses[verb] not in REFUSED_FOR_ANY_OBJECT:
            break
    assert statuses[verb] != 404 and statuses[verb] not in REFUSED_FOR_ANY_OBJECT, (
        f"{url} ({name}) by {auth} on acme's own object: {statuses}"
    )


# --------------------------------------------------------------------------- tenant-wide routes


def _tenant_wide_cases():
    for name in sorted(TENANT_WIDE):
        route = ROUTE_BY_KEY.get(name)
        if route is None:
            continue
        for auth in ("session", "key") if route.is_api else ("session",):
            yield pytest.param(name, auth, id=f"{name}-{auth}")


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize(("name", "auth"), list(_tenant_wide_cases()))
def test_tenant_wide_route_shows_nothing_of_another_tenant(name, auth, request, tenant, other_tenant, alice):
    tenant_world(other_tenant)
    tenant_world(tenant, OWN_MARKER)
    client = request.getfixturevalue("acme_admin_session" if auth == "session" else "acme_key_client")
    response = client.get(reverse(name))
    assert response.status_code < 500, f"GET {name}: {response.status_code}"
    body = _body(response).lower()
    assert MARKER not in body, f"GET {reverse(name)} ({name}) by {auth} shows globex's data"
    if name in LISTS:
        assert OWN_MARKER in body, f"GET {reverse(name)} ({name}) by {auth} no longer lists acme's own data"


def test_switch_tenant_to_a_tenant_without_membership_is_404(acme_admin_session, tenant, other_tenant):
    response = acme_admin_session.post(reverse("switch_tenant"), {"tenant_id": other_tenant.pk})
    assert response.status_code == 404
    assert acme_admin_session.session[SESSION_TENANT_KEY] == tenant.pk


def test_bulk_assign_leaves_another_tenants_tickets_alone(acme_admin_session, alice, tenant, other_tenant):
    """The ticket ids are in the body: acme's own ticket is assigned (the control), globex's is untouched."""
    own = TicketFactory(account=AccountFactory(tenant=tenant))
    theirs = TicketFactory(account=AccountFactory(tenant=other_tenant))
    before = fingerprint(other_tenant)
    acme_admin_session.post(reverse("tickets:bulk_assign"), {"ticket": [own.pk, theirs.pk], "assignee": alice.pk})
    assert Ticket.all_tenants.get(pk=own.pk).assignee_id == alice.pk
    assert fingerprint(other_tenant) == before


# --------------------------------------------------------------------------- public and platform routes


def test_healthz_is_public_and_has_no_tenant_data(other_tenant):
    tenant_world(other_tenant)
    response = Client().get(reverse("healthz"))
    assert response.status_code in (200, 503)
    assert set(response.json()) == {"status", "database", "broker", "cache"}
    assert MARKER not in response.content.decode().lower()


def test_accessibility_statement_is_public_and_has_no_tenant_data(other_tenant, client, bob):
    tenant_world(other_tenant)
    response = Client().get(reverse("accessibility"))
    assert response.status_code == 200 and b"WCAG) 2.1" in response.content
    assert MARKER not in response.content.decode().lower()
    client.force_login(bob)  # a member of another tenant sees the same statement
    assert MARKER not in client.get(reverse("accessibility")).content.decode().lower()


def test_sign_in_pages_are_public(other_tenant):
    tenant_world(other_tenant)
    anonymous = Client()
    for name in ("login", "password_reset", "password_reset_done", "password_reset_complete"):
        response = anonymous.get(reverse(name))
        assert response.status_code == 200, name
        assert MARKER not in response.content.decode().lower(), name
    assert anonymous.post(reverse("logout")).status_code == 302


def test_password_reset_link_with_a_tampered_token_is_refused(bob):
    uid = urlsafe_base64_encode(force_bytes(bob.pk))
    token = default_token_generator.make_token(bob)
    tampered = token[:-1] + ("a" if token[-1] != "a" else "b")
    response = Client().get(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": tampered}))
    assert response.status_code == 200 and response.context["validlink"] is False
    assert "new_password1" not in response.content.decode()


def test_invitation_link_tampered_or_another_tenants_never_joins(acme_admin_session, alice, tenant, other_tenant):
    invitation, link = invitation_create(tenant=other_tenant, email="carol@new.example", role=Role.ADMIN,
                                         actor=None)
    tampered = link[:-2] + ("xx" if not link.endswith("xx") else "yy")
    assert Client().get(reverse("invitation_accept", kwargs={"token": tampered})).status_code == 404
    forged = signing.dumps("not-a-token", salt="wrong-salt")
    assert Client().get(reverse("invitation_accept", kwargs={"token": forged})).status_code == 404
    # Alice (acme) holding a link meant for someone else in globex: she is told whom it is for, never joins.
    before = fingerprint(other_tenant)
    response = acme_admin_session.post(reverse("invitation_accept", kwargs={"token": link}))
    assert response.status_code == 403
    assert fingerprint(other_tenant) == before
    assert not Membership.all_tenants.filter(tenant=other_tenant, user=alice).exists()


def test_survey_links_tampered_or_another_tenants_are_refused(acme_admin_session, tenant, other_tenant):
    """The public survey pages (signed links, no sign-in; more in tests/advocacy/test_survey_public.py)."""
    from advocacy import survey_links
    from tests.factories import SurveyFactory, SurveySendFactory

    theirs = SurveySendFactory(survey=SurveyFactory(tenant=other_tenant))
    before = fingerprint(other_tenant)
    for salt, name in ((survey_links.RESPOND_SALT, "survey_respond"), (survey_links.UNSUBSCRIBE_SALT, "survey_unsubscribe")):
        forged = signing.dumps({"t": tenant.pk, "s": theirs.pk, "k": theirs.token_id.hex}, salt=salt, compress=True)
        token = survey_links.make_token(theirs, salt=salt)
        tampered = token[:-1] + ("a" if token[-1] != "a" else "b")
        for candidate in (forged, tampered):
            for client in (Client(), acme_admin_session):
                assert client.get(reverse(name, kwargs={"token": candidate})).status_code == 404
                assert client.post(reverse(name, kwargs={"token": candidate}), {"score": "1"}).status_code == 404
    assert fingerprint(other_tenant) == before


def test_schema_and_docs_have_no_tenant_data(other_tenant):
    tenant_world(other_tenant)
    for name in ("api-schema", "api-docs", "api-redoc"):
        response = Client().get(reverse(name))
        assert response.status_code in (200, 401, 403), name
        assert MARKER not in response.content.decode().lower(), name


def test_api_key_reveal_of_another_tenant_is_never_shown(acme_admin_session, bob, other_tenant):
    key, raw = api_key_create(tenant=other_tenant, name="globex key", scopes=["read"])
    token = api_key_reveal_create(key=key, raw=raw, actor=bob)
    before = fingerprint(other_tenant)
    response = acme_admin_session.get(reverse("settings_api_key_created", kwargs={"token": token}))
    assert response.status_code == 302 and response["Location"] == reverse("settings_api_keys")
    assert raw not in response.content.decode()
    assert fingerprint(other_tenant) == before, "the reveal was consumed by another tenant's admin"
    unknown = acme_admin_session.get(reverse("settings_api_key_created", kwargs={"token": "x" * 43}))
    assert (unknown.status_code, unknown["Location"]) == (302, response["Location"]), "same answer as unknown"


def test_admin_site_is_for_platform_staff_only(acme_admin_session, other_tenant):
    account = AccountFactory(tenant=other_tenant)
    for url in (reverse("admin:index"), reverse("admin:accounts_account_change", args=[account.pk])):
        response = acme_admin_session.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"], url
