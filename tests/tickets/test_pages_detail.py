"""The ticket page: conversation (reply / internal note), SLA panel, transitions, properties, escalation,
account sidebar, knowledge-base suggestions and links, change and SLA logs; cross-tenant 404s."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from knowledge.models import ArticleStatus, TicketArticleLink
from tenancy.models import Role
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.knowledge import ArticleFactory, CategoryFactory
from tests.factories.tickets import TicketFactory
from tickets.models import Ticket, TicketComment


@pytest.fixture
def account(tenant, alice):
    return AccountFactory(tenant=tenant, name="Initech", arr=150000, csm=alice, health_status="yellow",
                          health_score=66)


@pytest.fixture
def ticket(account):
    return TicketFactory(account=account, subject="SSO login fails with assertion invalid",
                         description="Users get 'SSO assertion invalid' since the certificate rotation.", severity=2)


@pytest.fixture
def articles(tenant):
    category = CategoryFactory(tenant=tenant, name="Troubleshooting", slug="troubleshooting")
    return {
        "sso": ArticleFactory(category=category, title="SSO login setup and login errors",
                              body="Assertion invalid means the certificate changed."),
        "webhooks": ArticleFactory(category=category, title="Configuring webhooks", body="Signatures."),
        "draft": ArticleFactory(category=category, title="SSO draft", body="sso certificate",
                                status=ArticleStatus.DRAFT),
    }


# The KB panel's endpoints are knowledge's (knowledge/ticket_links.py).
KB_ROUTES = {"link_article": "knowledge:ticket_link", "unlink_article": "knowledge:ticket_unlink",
             "article_search": "knowledge:ticket_article_search"}


def url(name, t, *extra):
    return reverse(KB_ROUTES.get(name, f"tickets:{name}"), args=[t.pk, *extra])


def test_page_shows_everything(alice_client, ticket, articles, account):
    r = alice_client.get(url("detail", ticket))
    assert r.status_code == 200
    html = r.content.decode()
    assert f"#{ticket.number}" in html and "SSO login fails" in html
    assert "First response" in html and "Resolution" in html and "SLA On track" in html
    assert "Initech" in html and "66 · Yellow" in html and "USD 150,000" in html and "Alice Admin" in html
    assert "SSO login setup and login errors" in html  # suggested by full-text match
    assert "SSO draft" not in html  # drafts are never suggested
    assert [label for _, label in r.context["transitions"]] == ["Open", "Pending customer", "Resolved"]
    assert "Ticket opened" in html and "SLA policy applied" in html  # change log and SLA log


def test_due_times_in_tenant_time_zone(alice_client, tenant, account):
    tenant.timezone = "America/Los_Angeles"
    tenant.save()
    with time_machine.travel("2026-03-02 17:00:00+00:00", tick=False):
        t = TicketFactory(account=account, severity=1)
        html = alice_client.get(url("detail", t)).content.decode()
    assert "Mon Mar 2, 10:00 PST" in html  # response due 18:00 UTC = 10:00 in Los Angeles
    assert "1h 00m" in html


def test_public_reply_is_first_response_and_note_is_internal(client, member, ticket):
    engineer = member(Role.SUPPORT_ENGINEER)
    client.force_login(engineer)
    r = client.post(url("reply", ticket), {"body": "Internal: checking IdP logs", "kind": "note"})
    assert r.status_code == 302
    assert Ticket.all_tenants.get(pk=ticket.pk).first_response_at is None
    r = client.post(url("reply", ticket), {"body": "We are on it.", "kind": "reply"})
    assert r.status_code == 302
    stored = Ticket.all_tenants.get(pk=ticket.pk)
    assert stored.first_response_at is not None and stored.status == "open" and stored.response_state == "met"
    comments = list(TicketComment.all_tenants.filter(ticket=ticket).order_by("id").values_list("public", "author"))
    assert comments == [(False, engineer.pk), (True, engineer.pk)]
    html = client.get(url("detail", ticket)).content.decode()
    assert "Internal note" in html and "We are on it." in html and "Met" in html


def test_empty_reply_is_400_and_writes_nothing(alice_client, ticket):
    r = alice_client.post(url("reply", ticket), {"body": "  ", "kind": "reply"})
    assert r.status_code == 400
    assert not TicketComment.all_tenants.exists()


def test_reply_with_attachment(alice_client, ticket, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("idp-log.txt", b"saml error", content_type="text/plain")
    r = alice_client.post(url("reply", ticket), {"body": "Log attached", "kind": "note", "files": upload})
    assert r.status_code == 302
    assert "idp-log.txt" in alice_client.get(url("detail", ticket)).content.decode()


def test_attachments_download_for_the_tenant_only(alice_client, bob, ticket, settings, tmp_path):
    """Files are served through the ticket (tenant-checked), not a public storage URL; files uploaded to the
    ticket itself (API) are listed too."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tenancy.context import tenant_context
    from tickets.services import attachments

    settings.MEDIA_ROOT = tmp_path
    with tenant_context(ticket.tenant):
        loose = attachments.ticket_attach(ticket=ticket, file=SimpleUploadedFile("har.txt", b"har data", "text/plain"))
    html = alice_client.get(url("detail", ticket)).content.decode()
    download = url("attachment", ticket, loose.pk)
    assert "har.txt" in html and download in html and "/media/" not in html
    r = alice_client.get(download)
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"har data"
    assert "attachment" in r["Content-Disposition"] and "har.txt" in r["Content-Disposition"]
    from django.test import Client

    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.get(download).status_code == 404
    other = TicketFactory(account=ticket.account)
    assert alice_client.get(url("attachment", other, loose.pk)).status_code == 404


def test_transitions_pause_and_resolve(alice_client, ticket):
    r = alice_client.post(url("transition", ticket), {"status": "pending_customer"})
    assert r.status_code == 302
    html = alice_client.get(url("detail", ticket)).content.decode()
    assert "SLA Paused" in html and "clock stopped" in html
    alice_client.post(url("transition", ticket), {"status": "resolved"})
    stored = Ticket.all_tenants.get(pk=ticket.pk)
    assert stored.status == "resolved" and stored.resolved_at is not None
    r = alice_client.get(url("detail", ticket))
    assert [v for v, _ in r.context["transitions"]] == ["open", "closed"]


def test_invalid_transition_is_409_and_changes_nothing(alice_client, ticket):
    alice_client.post(url("transition", ticket), {"status": "resolved"})
    alice_client.post(url("transition", ticket), {"status": "closed"})
    r = alice_client.post(url("transition", ticket), {"status": "open"})
    assert r.status_code == 409 and "can&#x27;t move" in r.content.decode()
    assert Ticket.all_tenants.get(pk=ticket.pk).status == "closed"
    assert alice_client.post(url("transition", ticket), {"status": "bogus"}).status_code == 400


def test_properties_severity_recomputes_targets_and_assign(alice_client, member, ticket):
    engineer = member(Role.SUPPORT_ENGINEER)
    r = alice_client.post(url("properties", ticket), {"severity": "1", "support_level": "2", "assignee": engineer.pk})
    assert r.status_code == 302
    stored = Ticket.all_tenants.get(pk=ticket.pk)
    assert (stored.severity, stored.support_level, stored.assignee) == (1, 2, engineer)
    assert stored.response_due_at == stored.opened_at + timedelta(minutes=60)
    r = alice_client.post(url("properties", ticket), {"severity": "7"})
    assert r.status_code == 400 and Ticket.all_tenants.get(pk=ticket.pk).severity == 1
    alice_client.post(url("properties", ticket), {"assignee": ""})  # unassign
    assert Ticket.all_tenants.get(pk=ticket.pk).assignee is None
    html = alice_client.get(url("detail", ticket)).content.decode()
    assert "Severity — 2 → 1" in html or "severity" in html.lower()


def test_claim_and_escalate(alice_client, alice, ticket):
    alice_client.post(url("claim", ticket))
    assert Ticket.all_tenants.get(pk=ticket.pk).assignee == alice
    alice_client.post(url("escalate", ticket), {"reason": "Customer exec involved"})
    alice_client.post(url("escalate", ticket))
    assert Ticket.all_tenants.get(pk=ticket.pk).support_level == 3
    r = alice_client.post(url("escalate", ticket))
    assert r.status_code == 409 and Ticket.all_tenants.get(pk=ticket.pk).support_level == 3


def test_link_and_unlink_article(alice_client, ticket, articles):
    sso = articles["sso"]
    r = alice_client.post(url("link_article", ticket), {"article": sso.pk}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert html.strip().startswith('<section class="panel kb-panel"') and "Linked to this ticket" in html
    assert TicketArticleLink.all_tenants.filter(ticket=ticket, article=sso).count() == 1
    alice_client.post(url("link_article", ticket), {"article": sso.pk}, HTTP_HX_REQUEST="true")
    assert TicketArticleLink.all_tenants.count() == 1
    kb = alice_client.get(reverse("knowledge:article", args=[sso.pk])).content.decode()
    assert "Used in 1 ticket" in kb and f"#{ticket.number}" in kb
    r = alice_client.post(url("link_article", ticket), {"article": articles["draft"].pk}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and TicketArticleLink.all_tenants.count() == 1
    r = alice_client.post(url("unlink_article", ticket, sso.pk), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and TicketArticleLink.all_tenants.count() == 0
    assert alice_client.post(url("unlink_article", ticket, sso.pk)).status_code == 404


def test_kb_search_from_ticket(alice_client, ticket, articles):
    r = alice_client.get(url("article_search", ticket), {"q": "webhooks"})
    html = r.content.decode()
    assert "Configuring webhooks" in html and "Link</button>" in html and "<html" not in html
    assert "SSO draft" not in alice_client.get(url("article_search", ticket), {"q": "sso"}).content.decode()


def test_viewer_reads_but_cannot_act(client, member, ticket):
    client.force_login(member(Role.VIEWER))
    html = client.get(url("detail", ticket)).content.decode()
    assert "Send reply" not in html and "Resolve</button>" not in html
    for name, data in [("reply", {"body": "x"}), ("transition", {"status": "resolved"}),
                       ("properties", {"severity": "1"}), ("escalate", {}), ("claim", {})]:
        assert client.post(url(name, ticket), data).status_code == 403, name
    stored = Ticket.all_tenants.get(pk=ticket.pk)
    assert (stored.status, stored.severity, stored.assignee) == ("new", 2, None)


def test_other_tenant_gets_404_everywhere(bob_client, ticket, articles):
    sso = articles["sso"]
    for method, name, extra, data in [
        ("get", "detail", (), {}), ("post", "reply", (), {"body": "hi", "kind": "reply"}),
        ("post", "transition", (), {"status": "resolved"}), ("post", "properties", (), {"severity": "1"}),
        ("post", "escalate", (), {}), ("post", "claim", (), {}), ("post", "link_article", (), {"article": sso.pk}),
        ("post", "unlink_article", (sso.pk,), {}), ("get", "article_search", (), {"q": "sso"}),
    ]:
        r = getattr(bob_client, method)(url(name, ticket, *extra), data)
        assert r.status_code == 404, name
    assert not TicketComment.all_tenants.exists()
    assert Ticket.all_tenants.get(pk=ticket.pk).status == "new"


def test_bob_cannot_link_acme_article_to_his_ticket(bob_client, other_tenant, articles):
    theirs = TicketFactory(account=AccountFactory(tenant=other_tenant))
    r = bob_client.post(url("link_article", theirs), {"article": articles["sso"].pk})
    assert r.status_code == 404 and not TicketArticleLink.all_tenants.exists()


@pytest.mark.parametrize("size", [1, 25])
def test_query_count_is_constant(alice_client, ticket, account, articles, size, django_assert_max_num_queries):
    contact = ContactFactory(account=account)
    for i in range(size):
        TicketFactory(account=account, subject=f"Other {i}")
    from tenancy.context import tenant_context
    from tickets.services import lifecycle

    with tenant_context(account.tenant):
        for i in range(size):
            lifecycle.ticket_reply(ticket=ticket, body=f"Customer says {i}", contact=contact)
            lifecycle.ticket_reply(ticket=ticket, body=f"Answer {i}", actor=account.csm)
    alice_client.get(url("detail", ticket))
    with django_assert_max_num_queries(16):
        assert alice_client.get(url("detail", ticket)).status_code == 200


def test_breached_ticket_shows_overdue(alice_client, account):
    t = TicketFactory(account=account, severity=1, opened_at=timezone.now() - timedelta(hours=2))
    html = alice_client.get(url("detail", t)).content.decode()
    assert "SLA Breached" in html and "Overdue" in html and "-1h 0" in html


def test_severity_change_after_a_breach_shows_the_new_target_with_its_due(alice_client, account):
    """Never "Target 4h" beside the old target's due time: the panel shows the new target's due instant."""
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False) as clock:
        t = TicketFactory(account=account, severity=3)  # 8h / 1d
        clock.shift(timedelta(hours=2))
        alice_client.post(url("properties", t), {"severity": "1"})  # 1h: breached at 10:00
        alice_client.post(url("properties", t), {"severity": "2"})  # 4h / 8h: due 13:00 / 17:00
        html = alice_client.get(url("detail", t)).content.decode()
    panel = html.split('id="sla-panel"', 1)[1].split("</section>", 1)[0]
    response, resolution = panel.split('class="sla-target ')[1:3]
    assert "<dd>4h</dd>" in response.replace("4h 00m", "4h") and "Mon Mar 2, 13:00" in response
    assert "Mon Mar 2, 10:00" not in panel
    assert "Mon Mar 2, 17:00" in resolution
    assert "sla-on_track" in response  # the state follows the new due time
    sla_log = html.split("<h2>SLA events</h2>", 1)[1]
    assert "First response breached" in sla_log  # the breach under Sev1 stays in the log


def test_change_log_reads_as_words(alice_client, member, ticket, account):
    """Labels for statuses and severities, durations for targets, names for people: no raw values."""
    engineer = member(Role.SUPPORT_ENGINEER, email="erin@acme.example")
    engineer.full_name = "Erin Engineer"
    engineer.save()
    pat = ContactFactory(account=account, name="Pat Lee", email="pat@initech.example")
    alice_client.post(url("properties", ticket), {"severity": "1", "assignee": engineer.pk})
    alice_client.post(url("transition", ticket), {"status": "pending_customer"})
    from tenancy.context import tenant_context
    from tickets.services import lifecycle

    with tenant_context(ticket.tenant):
        lifecycle.ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), contact=pat, tags=["sso", "login"])
    html = alice_client.get(url("detail", ticket)).content.decode()
    log = html.split("<h2>Change log</h2>", 1)[1].split("</section>", 1)[0]
    assert "Severity: Sev2 - High → Sev1 - Critical" in log
    assert "Response target: 4h → 1h" in log and "Resolution target: 8h → 4h" in log
    assert "Assignee: unassigned → Erin Engineer" in log
    assert "Status: Open → Pending customer" in log
    assert "Contact: — → Pat Lee" in log and "Tags: — → sso, login" in log
    for raw in ("pending_customer", "minutes", "@", "target_minutes", "480", "240"):
        assert raw not in log, raw
