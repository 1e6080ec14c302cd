"""ops/demo/ticket_article_links.py: seed_demo links resolved demo tickets to their best article."""

from knowledge.models import TicketArticleLink
from knowledge.seed import seed_tenant
from ops.demo.ticket_article_links import link_resolved_tickets
from tests.factories.accounts import AccountFactory
from tests.factories.tickets import TicketFactory
from tests.knowledge.test_seed import make_ctx
from tickets.services import lifecycle


def test_seed_links_resolved_tickets_to_their_best_article(in_tenant):
    account = AccountFactory(tenant=in_tenant)
    sso = TicketFactory(account=account, subject="SSO login loop for some users",
                        description="A few users are redirected back to the login page.")
    vague = TicketFactory(account=account, subject="Question", description="Hello there")
    still_open = TicketFactory(account=account, subject="Webhook deliveries delayed", description="Webhooks late.")
    for ticket in (sso, vague):
        lifecycle.ticket_transition(ticket=ticket, to_status="resolved")
    ctx = make_ctx(in_tenant, "rag-fortress", {})
    seed_tenant(ctx)
    link_resolved_tickets(ctx)
    links = {(link.ticket_id, link.article.title) for link in TicketArticleLink.objects.select_related("article")}
    assert links == {(sso.pk, "SSO login setup and login errors")}
    assert still_open.pk not in {t for t, _ in links}
