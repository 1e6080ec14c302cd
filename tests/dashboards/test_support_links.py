"""Issue 13: every number of the support dashboard links to the queue list behind it (the count on the page
equals the rows at the link, for several figures and filters), and CSAT by engineer (hand-computed)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from html import unescape

import pytest

from dashboards.refresh import refresh_all
from tests.dashboards.conftest import at, set_ticket
from tests.factories import SurveyFactory, SurveyResponseFactory, SurveySendFactory, TicketFactory

pytestmark = pytest.mark.django_db
PAGE = "/dashboards/support/"


def rows_at(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


@pytest.fixture
def more_history(tenant, support_history, engineer):
    """Two more tickets so the ages and the breach outcomes spread out: an old open Sev3 ticket of the
    enterprise account whose resolution breached on Sunday (this week is Monday 9 March on), and a Sev2 one
    answered late last month."""
    old, late = TicketFactory(account=support_history["ent"], severity=3), TicketFactory(account=support_history["ent"], severity=2)
    set_ticket(old, assignee=engineer, status="open", opened_at=at("2026-03-02 09:00"),
               first_response_at=at("2026-03-02 09:20"), resolution_due_at=at("2026-03-08 09:00"),
               response_state="met", resolution_state="breached", escalated_at=None)
    set_ticket(late, assignee=None, status="resolved", opened_at=at("2026-02-20 09:00"),
               first_response_at=at("2026-02-21 09:00"), resolved_at=at("2026-02-22 09:00"),
               response_due_at=at("2026-02-20 13:00"), resolution_due_at=at("2026-02-25 09:00"),
               response_state="breached", resolution_state="met", escalated_at=None)
    return support_history | {"old": old, "late": late}


def figures_and_links(ctx):
    """(label, count, url) of every linked figure on the page."""
    out = []
    for row in ctx["backlog"]["rows"]:
        out.append((f"backlog Sev{row['severity']}", row["total"], row["href"]))
        out.append((f"breaching Sev{row['severity']}", row["breaching"], row["breaching_href"]))
        out += [(f"backlog Sev{row['severity']} age {i}", c["count"], c["href"]) for i, c in enumerate(row["cells"])]
    out.append(("open", ctx["backlog"]["total"], ctx["links"]["open"]))
    out.append(("breaching", ctx["backlog"]["breaching"], ctx["links"]["breaching"]))
    out.append(("week response breaches", ctx["total"].week_response_breached, ctx["links"]["week_response"]))
    out.append(("week resolution breaches", ctx["total"].week_resolution_breached, ctx["links"]["week_resolution"]))
    for group in ("by_severity", "by_segment", "by_engineer"):
        for f in ctx["sla"][group]:
            for name, url in f.links.items():
                out.append((f"{group} {f.key} {name}", getattr(f, name), url))
    for top in ctx["data"]["top_accounts"]:
        out.append((f"top {top.account_id}", top.tickets, top.href))
    return out


@pytest.mark.parametrize("query", ["", "period=7", "period=90", "segment=enterprise", "segment=smb",
                                   "engineer=none", "engineer=ENGINEER"])
def test_every_linked_count_equals_the_rows_of_its_list(alice_client, tenant, more_history, engineer, query):
    refresh_all(tenant=tenant)
    ctx = alice_client.get(f"{PAGE}?{query.replace('ENGINEER', str(engineer.pk))}").context
    figures = figures_and_links(ctx)
    assert len(figures) > 40
    assert sum(count for _, count, _ in figures) > 0
    for label, count, url in figures:
        assert url.startswith("/tickets/?"), label
        assert rows_at(alice_client, url) == count, (label, url)


def test_the_links_of_a_few_figures_in_the_html(alice_client, tenant, more_history, engineer):
    refresh_all(tenant=tenant)
    html = unescape(alice_client.get(PAGE).content.decode())
    # Over 30 days to Tuesday 10 March: the engineer's breached responses (T2) and this week's breaches.
    eng = f"/tickets/?view=all&assignee={engineer.pk}&response=breached&decided_from=2026-02-09&decided_to=2026-03-10"
    assert f'href="{eng}"' in html
    assert rows_at(alice_client, eng) == 1
    week = "/tickets/?view=all&decided_from=2026-03-09&decided_to=2026-03-10&resolution=breached"
    assert f'href="{week}"' in html and rows_at(alice_client, week) == 0  # the old ticket breached on Sunday
    older = "/tickets/?view=open&severity=3&age=gt7"
    assert f'href="{older}"' in html and rows_at(alice_client, older) == 1  # opened 2 March
    assert 'href="/tickets/?view=open&severity=3&age=3to7"' not in html  # an empty cell is a plain 0
    assert rows_at(alice_client, "/tickets/?view=open&severity=3&age=3to7") == 0
    week_text = re.search(r'data-testid="week-breaches">(\d+)', html).group(1)
    assert week_text == "2"  # T2 and T3 answered late / unanswered this week


# --------------------------------------------------------------------------- CSAT by engineer


@pytest.fixture
def csat_history(tenant, other_tenant, support_history, engineer):
    """Hand-made CSAT answers: T1 (Erin, Sev1, enterprise) 5 on 9 March and 3 on 10 March; T2 (Erin) 2 on
    1 February (in 90 days, not 30); T4 (unassigned, Sev3, smb) 4 on 5 March. Not counted: a CSAT posted
    through the API (no ticket), an NPS answer, a send whose occasion is not a ticket, another tenant's."""
    t1, t2, _t3, t4, t5 = support_history["tickets"]
    survey = SurveyFactory(tenant=tenant, kind="csat", purpose="csat_ticket", automatic=True)

    def answer(ticket, score, when, *, occasion=None, to=survey):
        response = SurveyResponseFactory(account=ticket.account, kind="csat", score=score, responded_at=at(when))
        SurveySendFactory(survey=to, account=ticket.account, occasion=occasion or f"ticket:{ticket.pk}",
                          response=response, responded_at=at(when))

    answer(t1, 5, "2026-03-09 15:00")
    answer(t1, 3, "2026-03-10 09:00")
    answer(t2, 2, "2026-02-01 12:00")
    answer(t4, 4, "2026-03-05 12:00")
    answer(t1, 1, "2026-03-09 16:00", occasion="plan:1:30")  # not about a ticket
    SurveyResponseFactory(account=t1.account, kind="csat", score=1, responded_at=at("2026-03-09 12:00"))  # API
    SurveyResponseFactory(account=t1.account, kind="nps", score=0, responded_at=at("2026-03-09 12:00"))
    elsewhere = SurveyFactory(tenant=other_tenant, kind="csat", purpose="csat_ticket", automatic=True)
    answer(t5, 1, "2026-03-09 12:00", to=elsewhere)
    return support_history


def csat_of(figures):
    return (figures.csat_responses, figures.csat_total, figures.csat_satisfied, figures.csat_average,
            figures.csat_satisfied_percent)


@pytest.mark.parametrize(("query", "erin", "unassigned"), [
    ("", (2, 8, 1, Decimal("4.00"), Decimal("50.0")), (1, 4, 1, Decimal("4.00"), Decimal("100.0"))),
    ("period=90", (3, 10, 1, Decimal("3.33"), Decimal("33.3")), (1, 4, 1, Decimal("4.00"), Decimal("100.0"))),
    ("period=7", (2, 8, 1, Decimal("4.00"), Decimal("50.0")), (1, 4, 1, Decimal("4.00"), Decimal("100.0"))),
    ("segment=smb", None, (1, 4, 1, Decimal("4.00"), Decimal("100.0"))),
    ("segment=enterprise", (2, 8, 1, Decimal("4.00"), Decimal("50.0")), None),
])
def test_csat_by_engineer(alice_client, tenant, csat_history, engineer, query, erin, unassigned):
    refresh_all(tenant=tenant)
    ctx = alice_client.get(f"{PAGE}?{query}").context
    engineers = {f.key: f for f in ctx["sla"]["by_engineer"]}
    if erin is None:
        assert engineer.pk not in engineers
    else:
        assert csat_of(engineers[engineer.pk]) == erin
    if unassigned is None:
        assert "none" not in engineers
    else:
        assert csat_of(engineers["none"]) == unassigned


def test_csat_filtered_by_engineer_and_by_severity(alice_client, tenant, csat_history, engineer):
    refresh_all(tenant=tenant)
    ctx = alice_client.get(f"{PAGE}?engineer={engineer.pk}").context
    assert csat_of(ctx["total"]) == (2, 8, 1, Decimal("4.00"), Decimal("50.0"))
    severities = {f.key: f for f in alice_client.get(PAGE).context["sla"]["by_severity"]}
    assert csat_of(severities[1])[:3] == (2, 8, 1) and csat_of(severities[3])[:3] == (1, 4, 1)


def test_csat_in_the_engineer_table_and_the_csv(alice_client, tenant, csat_history, engineer):
    refresh_all(tenant=tenant)
    html = alice_client.get(PAGE).content.decode()
    table = html[html.index('id="sla-engineer"'):]
    table = table[:table.index("</table>")]
    assert "CSAT average" in table and "4.00" in table and "50.0%" in table
    body = alice_client.get("/dashboards/support/export.csv").content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    header = next(r for r in rows if r[:1] == ["By engineer"])
    assert header[-3:] == ["CSAT responses", "CSAT average", "CSAT satisfied %"]
    erin = next(r for r in rows[rows.index(header):] if r[1:2] == ["Erin Engineer"])
    assert erin[-3:] == ["2", "4.00", "50.0"]


def test_a_second_refresh_changes_nothing_and_a_new_answer_counts(alice_client, tenant, csat_history, engineer):
    from dashboards.models import SupportDay

    refresh_all(tenant=tenant)
    before = sorted(SupportDay.all_tenants.filter(tenant=tenant).values_list("id", "csat_responses", "csat_total"))
    refresh_all(tenant=tenant, full=True)
    assert sorted(SupportDay.all_tenants.filter(tenant=tenant).values_list("id", "csat_responses", "csat_total")) == before
    set_ticket(csat_history["tickets"][3], assignee=engineer)  # T4 reassigned to Erin: its answer follows
    refresh_all(tenant=tenant, full=True)
    engineers = {f.key: f for f in alice_client.get(PAGE).context["sla"]["by_engineer"]}
    assert csat_of(engineers[engineer.pk])[:3] == (3, 12, 2)


@pytest.mark.parametrize("extra", [0, 20])
def test_the_queue_with_every_dashboard_filter_keeps_its_query_count(alice_client, tenant, more_history, engineer,
                                                                      extra, django_assert_max_num_queries):
    for _ in range(extra):
        TicketFactory(account=more_history["ent"], severity=1)
    url = (f"/tickets/?view=all&assignee={engineer.pk}&segment=enterprise&severity=1&age=lt1&max_severity=2"
           "&opened_from=2026-03-01&opened_to=2026-03-10&response=breached&decided_from=2026-03-01&decided_to=2026-03-10")
    with django_assert_max_num_queries(13):
        response = alice_client.get(url)
    assert response.context["page"].paginator.count == 1  # T2
    html = response.content.decode()
    assert '<details class="more-filters" open>' in html and 'value="2026-03-01"' in html


def test_bad_dashboard_filters_are_ignored(alice_client, tenant, more_history):
    response = alice_client.get("/tickets/?view=all&age=old&opened_from=2026-13-01&response=late&assignee=x"
                                "&max_severity=9&decided_to=yesterday")
    filters = response.context["filters"]
    assert (filters.age, filters.opened_from, filters.response, filters.assignee, filters.max_severity,
            filters.decided_to) == (None, None, None, None, None, None)
    assert response.context["page"].paginator.count == 6


def test_a_saved_view_keeps_the_dashboard_filters(alice_client, tenant, more_history, engineer):
    query = f"view=all&assignee={engineer.pk}&response=breached&decided_from=2026-03-01&decided_to=2026-03-10"
    alice_client.post("/tickets/views/", {"name": "Erin's breaches", "query": query})
    from tickets.models import QueueView

    assert QueueView.all_tenants.get(name="Erin's breaches").query == query
