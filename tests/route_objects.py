"""Helpers of tests/test_route_isolation.py: the walk of every URL route, a builder per object-id route that
creates the route's object(s) in a tenant with the factories, and a fingerprint of all of a tenant's rows.

A builder takes the tenant that owns the objects and returns the URL kwargs (and, under ``_data``, a body
for the write verbs when the route takes a second object id in its body); ``MIXED`` builders take the
requester's tenant and the other one and return kwargs whose parent is the requester's own and whose child
is the other tenant's (the nested lookup must scope the child too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count

from django.apps import apps
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from core import jobs
from dashboards.refresh import refresh_all
from onboarding.models import PlanTask
from renewals.models import ArrMovement
from tenancy.models import Membership, Role, Tenant, TenantModel
from tenancy.services import api_key_create, invitation_create
from tests.factories import (
    AccountFactory,
    ArticleFactory,
    CategoryFactory,
    ContactFactory,
    InboundEmailFactory,
    KpiTargetFactory,
    MembershipFactory,
    OpportunityFactory,
    QueueViewFactory,
    RenewalFactory,
    SuccessCriterionFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TaskFactory,
    TicketArticleLinkFactory,
    TicketAttachmentFactory,
    TicketFactory,
    TouchpointCadenceFactory,
    UserFactory,
    make_plan,
    make_template,
)
from tests.factories.integrations import WebhookDeliveryFactory, WebhookEndpointFactory
from tests.factories.references import (
    AdvocacyActivityFactory,
    CaseStudyFactory,
    ReferenceRequestFactory,
    ReferenceRewardFactory,
)

# --------------------------------------------------------------------------- the walk


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the pattern for an unnamed route
    pattern: str
    kwargs: tuple[str, ...]  # the captured (named) groups, sorted
    namespace: str
    named: bool

    @property
    def is_api(self) -> bool:
        return self.pattern.replace("^", "").startswith("api/")


def _walk(resolver: URLResolver, prefix: str, namespace: str, captured: frozenset) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        groups = captured | set(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = entry.namespace and (f"{namespace}:{entry.namespace}" if namespace else entry.namespace)
            yield from _walk(entry, pattern, inner or namespace, groups)
        elif isinstance(entry, URLPattern):
            key = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or pattern)
            yield Route(key=key, pattern=pattern, kwargs=tuple(sorted(groups)), namespace=namespace,
                        named=entry.name is not None)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver(), "", "", frozenset()))


# --------------------------------------------------------------------------- a tenant's rows


def _tenant_tables() -> list[str]:
    models = apps.get_models()
    return sorted({m._meta.db_table for m in models if issubclass(m, TenantModel) and not m._meta.proxy})


def fingerprint(tenant: Tenant) -> dict[str, str]:
    """An md5 of every row the tenant owns, per table (and of its Tenant row), in one query: any insert,
    update or delete of the tenant's data changes it."""
    qn = connection.ops.quote_name
    parts, params = [], []
    for table in [Tenant._meta.db_table, *_tenant_tables()]:
        where = f"t.{qn('id')} = %s" if table == Tenant._meta.db_table else f"t.{qn('tenant_id')} = %s"
        parts.append(
            f"SELECT %s, (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            f"FROM {qn(table)} t WHERE {where})"
        )
        params += [table, tenant.pk]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return dict(cursor.fetchall())


# --------------------------------------------------------------------------- builders

_seq = count()


def _account(t):
    return {"pk": AccountFactory(tenant=t).pk}


def _task(t):
    return {"pk": TaskFactory(account=AccountFactory(tenant=t)).pk}


def _contact_edit(t):
    contact = ContactFactory(account=AccountFactory(tenant=t))
    return {"pk": contact.account_id, "contact_pk": contact.pk}


def _contact(t):
    return {"pk": ContactFactory(account=AccountFactory(tenant=t)).pk}


def _membership(t):
    return {"pk": MembershipFactory(tenant=t, role=Role.CSM).pk}


def _invitation(t):
    invitation, _ = invitation_create(tenant=t, email=f"invitee{next(_seq)}@new.example", role=Role.CSM, actor=None)
    return {"pk": invitation.pk}


def _api_key(t):
    key, _ = api_key_create(tenant=t, name=f"key {next(_seq)}", scopes=["read"])
    return {"pk": key.pk}


def _ticket(t):
    return {"pk": TicketFactory(account=AccountFactory(tenant=t)).pk}


def _queue_view(t):
    """A saved queue view of the tenant's first admin (views are personal: acme's must be alice's)."""
    admin = Membership.all_tenants.filter(tenant=t, role=Role.ADMIN).order_by("id").first()
    return {"pk": QueueViewFactory(tenant=t, user=admin.user if admin else UserFactory()).pk}


def _link_article(t):
    """The ticket in the URL, the article to link in the body (``_data``: sent with the write verbs)."""
    article = ArticleFactory(category=CategoryFactory(tenant=t))
    return {"pk": _ticket(t)["pk"], "_data": {"article": article.pk}}


def _attachment(t):
    attachment = TicketAttachmentFactory(ticket=TicketFactory(account=AccountFactory(tenant=t)))
    return {"pk": attachment.ticket_id, "attachment_pk": attachment.pk}


def _api_attachment(t):
    kwargs = _attachment(t)
    return {"pk": kwargs["pk"], "attachment_id": kwargs["attachment_pk"]}


def _linked_article(t):
    ticket = TicketFactory(account=AccountFactory(tenant=t))
    link = TicketArticleLinkFactory(article=ArticleFactory(category=CategoryFactory(tenant=t)), ticket=ticket)
    return {"pk": ticket.pk, "article_pk": link.article_id}


def _inbound_email(t):
    return {"pk": InboundEmailFactory(tenant=t).pk}


def _category_slug(t):
    return {"slug": CategoryFactory(tenant=t).slug}


def _article(t):
    return {"pk": ArticleFactory(category=CategoryFactory(tenant=t)).pk}


def _plan_obj(t):
    return make_plan(AccountFactory(tenant=t), template=make_template(t))


def _plan(t):
    return {"pk": _plan_obj(t).pk}


def _plan_task(t):
    return {"pk": PlanTask.all_tenants.filter(plan=_plan_obj(t)).order_by("position", "id").first().pk}


def _plan_task_checklist(t):
    task = PlanTask.all_tenants.filter(plan=_plan_obj(t)).exclude(checklist=[]).first()
    return {"pk": task.pk, "index": 0}


def _criterion(t):
    return {"pk": SuccessCriterionFactory(plan=_plan_obj(t)).pk}


def _template(t):
    return {"pk": make_template(t).pk}


def _cadence(t):
    return {"pk": TouchpointCadenceFactory(tenant=t).pk}


def _kpi_target(t):
    return {"pk": KpiTargetFactory(tenant=t).pk}
def _arr_movement(t):
    account = AccountFactory(tenant=t, arr=0)
    return {"pk": ArrMovement.all_tenants.create(tenant=t, account=account, date="2025-01-01", kind="new", amount=5).pk}


def _renewal(t):
    return {"pk": RenewalFactory(account=AccountFactory(tenant=t)).pk}


def _opportunity(t):
    return {"pk": OpportunityFactory(account=AccountFactory(tenant=t)).pk}


def _reference_request(t):
    return {"pk": ReferenceRequestFactory(account=AccountFactory(tenant=t), kind="case_study").pk}


def _reference_reward(t):
    return {"pk": ReferenceRewardFactory(account=AccountFactory(tenant=t)).pk}


def _case_study(t):
    return {"pk": CaseStudyFactory(account=AccountFactory(tenant=t)).pk}


def _advocacy_activity(t):
    return {"pk": AdvocacyActivityFactory(account=AccountFactory(tenant=t)).pk}


def _survey_response(t):
    return {"pk": SurveyResponseFactory(account=AccountFactory(tenant=t)).pk}


def _survey(t):
    return {"pk": SurveyFactory(tenant=t).pk}


def _event_mapping(t):
    from health.models import EventMapping

    return {"pk": EventMapping.all_tenants.create(tenant=t, event=f"Event {next(_seq)}", metric="logins").pk}


def _job(t):
    return {"id": str(jobs.job_create(tenant=t, kind="health.recompute").pk)}


def _dashboard_job(t):
    return {"job_id": str(jobs.job_create(tenant=t, kind="dashboards.refresh").pk)}


def _webhook(t):
    return {"pk": WebhookEndpointFactory(tenant=t).pk}


def _webhook_delivery(t):
    delivery = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(tenant=t), status="succeeded")
    return {"pk": delivery.endpoint_id, "delivery_pk": delivery.pk}


def _api_webhook_delivery(t):
    built = _webhook_delivery(t)
    return {"pk": built["pk"], "delivery_id": built["delivery_pk"]}


Builder = Callable[[Tenant], dict]

# Every route that captures an object id, by URL name: how to make that object in a tenant.
BUILDERS: dict[str, Builder] = {
    # tenancy (settings pages)
    "settings_member_role": _membership,
    "settings_member_remove": _membership,
    "settings_invitation_revoke": _invitation,
    "settings_api_key_revoke": _api_key,
    # accounts
    "accounts:task_status": _task,
    "accounts:detail": _account,
    "accounts:edit": _account,
    "accounts:timeline": _account,
    "accounts:contacts": _account,
    "accounts:contact_edit": _contact_edit,
    "accounts:tasks": _account,
    "api-account-detail": _account,
    "api-contact-detail": _contact,
    # health
    "health:sentiment": _account,
    "health:account_panel": _account,
    "api-account-health": _account,
    "api-account-health-history": _account,
    "api-account-sentiment": _account,
    "api-event-mapping": _event_mapping,
    "health:event_mapping_delete": _event_mapping,
    # tickets
    "tickets:delete_view": _queue_view,
    "tickets:detail": _ticket,
    "tickets:claim": _ticket,
    "tickets:reply": _ticket,
    "tickets:transition": _ticket,
    "tickets:properties": _ticket,
    "tickets:escalate": _ticket,
    "tickets:attachment": _attachment,
    "knowledge:ticket_link": _link_article,
    "knowledge:ticket_article_search": _ticket,
    "knowledge:ticket_unlink": _linked_article,
    "api-ticket-detail": _ticket,
    "api-ticket-assign": _ticket,
    "api-ticket-attachment-download": _api_attachment,
    "api-ticket-attachments": _ticket,
    "api-ticket-comments": _ticket,
    "api-ticket-escalate": _ticket,
    "api-ticket-events": _ticket,
    "api-ticket-reapply-sla": _ticket,
    "api-ticket-transition": _ticket,
    "api-inbound-email-detail": _inbound_email,
    "api-inbound-email-convert": _inbound_email,
    "api-inbound-email-dismiss": _inbound_email,
    # knowledge
    "knowledge:category": _category_slug,
    "knowledge:article": _article,
    "knowledge:article_edit": _article,
    "knowledge:article_status": _article,
    "api-kb-article-detail": _article,
    "api-kb-category-detail": _category_slug,
    # onboarding
    "onboarding:plan": _plan,
    "onboarding:plan_handoff": _plan,
    "onboarding:plan_notes": _plan,
    "onboarding:criterion_add": _plan,
    "onboarding:plan_first_value": _plan,
    "onboarding:plan_go_live": _plan,
    "onboarding:plan_complete": _plan,
    "onboarding:criterion_update": _criterion,
    "onboarding:task_status": _plan_task,
    "onboarding:task_checklist": _plan_task_checklist,
    "onboarding:template_edit": _template,
    "onboarding:template_default": _template,
    "onboarding:template_delete": _template,
    "api-onboarding-template-detail": _template,
    "api-onboarding-plan-detail": _plan,
    "api-onboarding-plan-first-value": _plan,
    "api-onboarding-plan-go-live": _plan,
    "api-onboarding-task-detail": _plan_task,
    # renewals: touchpoint cadences
    "cadences:edit": _cadence,
    "cadences:delete": _cadence,
    "api-touchpoint-cadence-detail": _cadence,
    # renewals
    "api-arr-movement-detail": _arr_movement,
    "api-renewal-detail": _renewal,
    "renewals:detail": _renewal,
    "renewals:forecast": _renewal,
    "renewals:outcome": _renewal,
    "api-opportunity-detail": _opportunity,
    # advocacy: the reference program
    "api-reference-detail": _reference_request,
    "api-reference-reward-detail": _reference_reward,
    "api-case-study-detail": _case_study,
    "api-advocacy-activity-detail": _advocacy_activity,
    "references:request_status": _reference_request,
    "references:ask": _account,
    "references:advocate": _contact,
    "references:case_study_stage": _case_study,
    "references:case_study_start": _account,
    "references:reward_record": _account,
    "references:activity_record": _account,
    # advocacy: surveys
    "api-survey-response-detail": _survey_response,
    "surveys:detail": _survey,
    "surveys:edit": _survey,
    "surveys:send": _survey,
    "surveys:progress": _survey,
    # integrations: webhooks and Slack notifications
    "integrations:detail": _webhook,
    "integrations:edit": _webhook,
    "integrations:pause": _webhook,
    "integrations:resume": _webhook,
    "integrations:test": _webhook,
    "integrations:delete": _webhook,
    "integrations:replay_since": _webhook,
    "integrations:delivery_replay": _webhook_delivery,
    "api-webhook-detail": _webhook,
    "api-webhook-deliveries": _webhook,
    "api-webhook-replay": _webhook,
    "api-webhook-test": _webhook,
    "api-webhook-pause": _webhook,
    "api-webhook-resume": _webhook,
    "api-webhook-delivery-replay": _api_webhook_delivery,
    # core
    "api-job": _job,
    # dashboards
    "dashboards:refresh_status": _dashboard_job,
    "dashboards:kpi_target_edit": _kpi_target,
    "dashboards:kpi_target_delete": _kpi_target,
    "api-kpi-target-detail": _kpi_target,
}


# Nested routes: the requester's own parent with the other tenant's child.
def _mixed_contact_edit(own, other):
    return {"pk": AccountFactory(tenant=own).pk, "contact_pk": _contact_edit(other)["contact_pk"]}


def _mixed_attachment(own, other):
    return {"pk": _ticket(own)["pk"], "attachment_pk": _attachment(other)["attachment_pk"]}


def _mixed_api_attachment(own, other):
    return {"pk": _ticket(own)["pk"], "attachment_id": _attachment(other)["attachment_pk"]}


def _mixed_link_article(own, other):
    return {"pk": _ticket(own)["pk"], "_data": _link_article(other)["_data"]}


def _mixed_unlink(own, other):
    return {"pk": _ticket(own)["pk"], "article_pk": _linked_article(other)["article_pk"]}


def _mixed_webhook_delivery(own, other):
    return {"pk": _webhook(own)["pk"], "delivery_pk": _webhook_delivery(other)["delivery_pk"]}


def _mixed_api_webhook_delivery(own, other):
    return {"pk": _webhook(own)["pk"], "delivery_id": _webhook_delivery(other)["delivery_pk"]}


MIXED: dict[str, Callable[[Tenant, Tenant], dict]] = {
    "integrations:delivery_replay": _mixed_webhook_delivery,
    "api-webhook-delivery-replay": _mixed_api_webhook_delivery,
    "accounts:contact_edit": _mixed_contact_edit,
    "tickets:attachment": _mixed_attachment,
    "api-ticket-attachment-download": _mixed_api_attachment,
    "knowledge:ticket_unlink": _mixed_unlink,
    "knowledge:ticket_link": _mixed_link_article,
}


# --------------------------------------------------------------------------- the other tenant's world

MARKER = "zqxglobex"  # in every name of globex's world
OWN_MARKER = "zqxacme"  # in acme's own world, the control: a list that shows it is a list that was checked


def tenant_world(t: Tenant, marker: str = MARKER) -> None:
    """One of each listed thing in ``t``, every name carrying ``marker``, for the tenant-wide list checks."""
    account = AccountFactory(tenant=t, name=f"{marker} account")
    ContactFactory(account=account, name=f"{marker} contact", email=f"{marker}@customer.example")
    TaskFactory(account=account, title=f"{marker} task")
    TicketFactory(account=account, subject=f"{marker} ticket")
    InboundEmailFactory(tenant=t, subject=f"{marker} email", from_email=f"{marker}@stranger.example")
    category = CategoryFactory(tenant=t, name=f"{marker} category")
    ArticleFactory(category=category, title=f"{marker} article")
    template = make_template(t, name=f"{marker} template")
    make_plan(account, template=template)
    MembershipFactory(tenant=t, role=Role.CSM, user=UserFactory(email=f"{marker}-member@{t.slug}.example"))
    api_key_create(tenant=t, name=f"{marker} key", scopes=["read"])
    invitation_create(tenant=t, email=f"{marker}-invitee@new.example", role=Role.CSM, actor=None)
    QueueViewFactory(tenant=t, name=f"{marker} view")
    TouchpointCadenceFactory(tenant=t, kind="custom", label=f"{marker} cadence")
    KpiTargetFactory(tenant=t, metric="nps", target=50, note=f"{marker} target")
    OpportunityFactory(account=account, title=f"{marker} opportunity")
    RenewalFactory(account=account, outcome="churned", stage="closed", churn_reason=f"{marker} reason",
                   closed_at=timezone.now())  # the retention report's churn reasons
    SurveyResponseFactory(account=account, comment=f"{marker} survey comment")
    SurveyFactory(tenant=t, name=f"{marker} campaign")
    _reference_world(account, marker)
    WebhookEndpointFactory(tenant=t, url=f"https://{marker}.example.com/hook", description=f"{marker} webhook")
    WebhookEndpointFactory(tenant=t, kind="slack", url=f"https://{marker}.example.com/slack", events=["detractor"],
                           secret="", description=f"{marker} slack")
    refresh_all(tenant=t)  # the dashboards' aggregates (top accounts by tickets name the account)


def _reference_world(account, marker: str) -> None:
    """The reference program's listed things: a request, a reward, a case study, a referral."""
    ReferenceRequestFactory(account=account, kind="testimonial", notes=f"{marker} reference")
    ReferenceRewardFactory(account=account, description=f"{marker} reward")
    CaseStudyFactory(account=account, title=f"{marker} case study")
    AdvocacyActivityFactory(account=account, kind="referral", source="referral", referred_company=f"{marker} prospect")
