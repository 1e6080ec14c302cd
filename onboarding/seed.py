"""Demo onboarding for the handbook tenants: each handbook's plan as the default template (data keyed
by slug, validated by the same service as the API), and plans for the demo accounts in the onboarding
stage (on track, late, completed with time to value), plus completed plans in the recent history of
established accounts so the board's metrics have something to measure. Bulk inserts throughout.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from accounts import services as account_services
from accounts.models import (
    Account,
    Activity,
    ActivityKind,
    Contact,
    LifecycleStage,
    Task,
    TaskSource,
    TaskStatus,
)
from core.seeding import SeedContext
from onboarding import selectors, services
from onboarding.gantt import check_in_dates, days_between
from onboarding.models import CriterionStatus, Milestone, PlanStatus, WorkStatus

ON_TRACK, LATE, COMPLETED = "on_track", "late", "completed"
HISTORY_ON_TIME, HISTORY_LATE = "history_on_time", "history_late"
HISTORY_PLANS = 12
MIN_ONBOARDING_PLANS = 8


def T(title: str, day: int, role: str, milestone: str = "", checklist: tuple[str, ...] = ()) -> dict:  # noqa: N802
    return {"title": title, "due_day": day, "owner_role": role, "milestone": milestone, "checklist": list(checklist)}


def P(name: str, start_day: int, end_day: int, *tasks: dict) -> dict:  # noqa: N802
    return {"name": name, "start_day": start_day, "end_day": end_day, "tasks": list(tasks)}


OS, CSM, SE, SM = "onboarding_specialist", "csm", "support_engineer", "support_manager"
KICKOFF, FIRST_VALUE, GO_LIVE = Milestone.KICKOFF, Milestone.FIRST_VALUE, Milestone.GO_LIVE

# Days are 0-based offsets from the plan's start: "week 1" is days 0-6, "day 1" is day 0.
TEMPLATES: dict[str, list[dict]] = {
    "rag-fortress": [{
        "name": "Enterprise onboarding (7 weeks)",
        "description": "Handbook: 6-8 weeks from kickoff to go-live; target 95% of customers operational by week 8. "
        "Investment $5,000-$10,000, included in enterprise plans.",
        "success_criteria": [
            "Use case and expected outcomes (from the sales handoff)",
            "What must work on go-live day?",
            "Adoption target at 90 days (active users, searches)",
            "How ROI and business impact will be measured",
        ],
        "check_in_days": [30, 60, 90],
        "phases": [
            P("Kickoff", 0, 6,
              T("Review the sales handoff", 0, OS, checklist=(
                  "Customer name, industry, size", "Key contacts (technical, business, executive)",
                  "Use case and expected outcomes", "Implementation timeline and priorities",
                  "Budget approval and contract terms", "Integration requirements", "Data volume and complexity")),
              T("Confirm launch date and schedule the kickoff", 1, OS,
                checklist=("Onboarding specialist assigned", "Customer success manager assigned", "Launch date confirmed",
                           "Kick-off meeting scheduled")),
              T("Draft the implementation plan", 2, OS),
              T("Kickoff meeting held (90 minutes)", 4, OS, KICKOFF, checklist=(
                  "Welcome and introductions", "Success criteria definition", "Implementation timeline and milestones",
                  "Roles and responsibilities", "Platform overview and demo", "Data migration planning",
                  "Next steps and action items")),
              T("Document success criteria and the implementation roadmap", 6, CSM, checklist=(
                  "Documented success criteria", "Implementation roadmap agreed",
                  "Team contact list and communication plan", "Technical requirements finalized",
                  "Data migration approach confirmed"))),
            P("Technical setup", 7, 13,
              T("Infrastructure provisioning", 8, SE),
              T("System configuration and API integration setup", 10, SE,
                checklist=("System configuration", "API integration setup")),
              T("Security and compliance review", 11, SE),
              T("Customer environment readiness check", 13, OS)),
            P("Data ingestion", 7, 27,
              T("Data preparation and mapping", 11, OS),
              T("Test migration in staging", 16, SE),
              T("First documents searchable", 18, OS, FIRST_VALUE),
              T("Migration from the existing system", 23, OS),
              T("Performance optimization and quality validation", 27, SE,
                checklist=("Performance optimization", "Quality validation"))),
            P("User training", 14, 34,
              T("Admin user training", 17, OS),
              T("End-user training", 24, OS),
              T("Power user enablement", 29, OS),
              T("Documentation review and Q&A", 34, OS, checklist=("Documentation review", "Q&A and troubleshooting"))),
            P("Testing and optimization", 28, 34,
              T("User acceptance testing (UAT)", 31, OS),
              T("Performance, integration and security testing", 33, SE,
                checklist=("Performance testing", "Integration validation", "Security testing")),
              T("Optimization for production", 34, SE)),
            P("Go-live preparation", 35, 41,
              T("Production cutover planning", 36, OS),
              T("Runbook and incident response plan", 38, SM, checklist=("Runbook development", "Incident response plan")),
              T("Stakeholder communication", 39, CSM),
              T("Final pre-launch checklist", 41, OS)),
            P("Go-live", 42, 48,
              T("Go-live day", 42, OS, GO_LIVE, checklist=(
                  "24/7 support team on standby", "Live monitoring and issue response", "Communication with customer",
                  "Issue escalation if needed", "Success celebration")),
              T("Daily check-ins for the first week", 48, CSM),
              T("Post-launch review: issues, performance, feedback", 48, CSM, checklist=(
                  "Issue tracking and resolution", "Performance monitoring", "User feedback collection",
                  "Optimization recommendations"))),
        ],
    }],
    "techcorp": [{
        "name": "TechCorp onboarding (days 1-90)",
        "description": "Handbook: week 1 welcome and setup, weeks 2-4 implementation, months 2-3 adoption and "
        "optimization with the QBR in month 3. Time to value: under 30 days to the first meaningful insight.",
        "success_criteria": ["First meaningful insight the customer expects", "Dashboards and users live by week 4",
                             "Business outcome to show at the month-3 QBR"],
        "check_in_days": [30, 60, 90],
        "phases": [
            P("Day 1: welcome", 0, 0, T("Welcome call with the CSM", 0, CSM)),
            P("Day 2: technical kickoff", 1, 1, T("Technical kickoff with the implementation specialist", 1, OS, KICKOFF)),
            P("Days 3-5: data sources", 2, 4,
              T("Connect data sources", 3, OS, checklist=("DataFlow connectors configured", "Credentials verified",
                                                           "First sync completed")),
              T("Initial configuration", 4, OS)),
            P("Day 7: first dashboard", 6, 6,
              T("First dashboard created", 6, OS, FIRST_VALUE),
              T("Dashboard training session", 6, CSM)),
            P("Weeks 2-4: implementation", 7, 27,
              T("Core dashboard development and customization", 13, OS),
              T("User training and admin setup", 20, OS),
              T("Testing, feedback and refinements", 26, OS),
              T("Implementation signed off (go-live)", 27, CSM, GO_LIVE)),
            P("Months 2-3: adoption and optimization", 28, 89,
              T("Monitor usage metrics and provide additional training", 59, CSM),
              T("Quarterly business review (QBR) and success planning", 89, CSM)),
        ],
    }],
    "marketingai-pro": [{
        "name": "MarketingAI Pro onboarding (4 weeks)",
        "description": "Handbook: time to first value under 24 hours; onboarding completion above 90%; "
        "80% of core features used within 30 days.",
        "success_criteria": ["Primary goal", "Success metrics", "30-day goals", "90-day goals"],
        "check_in_days": [30, 60, 90],
        "phases": [
            P("Day 1: welcome and setup", 0, 0,
              T("Welcome email sequence sent", 0, CSM, KICKOFF),
              T("Account setup checklist", 0, OS, checklist=(
                  "Email verification completed", "Profile information completed", "Payment method added",
                  "Team members invited (if applicable)", "Initial preferences configured",
                  "Security settings configured")),
              T("First AI campaign created", 0, OS, FIRST_VALUE)),
            P("Days 2-3: product tour and training", 1, 2,
              T("Interactive product tour", 1, OS, checklist=(
                  "Platform overview and navigation", "Core features demonstration", "Best practices and tips",
                  "Common use cases and examples", "Advanced features overview")),
              T("Training resources shared", 2, CSM, checklist=(
                  "Video tutorials and guides", "Interactive walkthroughs", "Best practices documentation",
                  "FAQ and knowledge base", "Community forum access"))),
            P("Days 4-7: first success", 3, 6,
              T("First success goals reached", 5, OS, GO_LIVE, checklist=(
                  "Create first campaign", "Generate first piece of content", "Set up first automation",
                  "View first analytics report", "Invite team members")),
              T("Success celebration email sent", 6, CSM)),
            P("Weeks 2-4: success planning", 7, 27,
              T("Success planning call", 10, CSM, checklist=(
                  "Review customer goals and objectives", "Assess current usage and adoption",
                  "Identify opportunities for improvement", "Plan next steps and milestones",
                  "Schedule regular check-ins")),
              T("Customer success plan documented", 13, CSM),
              T("Feature adoption review (80% of core features)", 27, CSM)),
        ],
    }],
    "agent-factory": [{
        "name": "Agent Factory onboarding (30 days)",
        "description": "Handbook playbook: day 1, day 3, day 7, day 14 (first agent deployed), day 30 (onboarding "
        "complete). Success criteria: first agent deployed, positive feedback.",
        "success_criteria": ["First agent's use case", "Positive feedback from the builder team"],
        "check_in_days": [30, 60, 90],
        "phases": [
            P("Day 1", 0, 0, T("Welcome email, account setup and access", 0, CSM, checklist=(
                "Welcome email", "Account setup", "Access granted", "Resources shared"))),
            P("Day 3", 1, 2, T("Welcome call and initial training", 2, CSM, KICKOFF, checklist=(
                "Welcome call scheduled", "Initial training", "First steps guidance"))),
            P("Day 7", 3, 6, T("First check-in", 6, CSM, checklist=(
                "Progress review", "Questions answered", "Next steps defined"))),
            P("Day 14", 7, 13,
              T("First agent deployed", 13, OS, FIRST_VALUE),
              T("Progress review, feedback collected, success celebrated", 13, CSM, GO_LIVE)),
            P("Day 30", 14, 29, T("Onboarding complete: success review", 29, CSM, checklist=(
                "Health score calculated", "Next phase planning", "Success review"))),
        ],
    }],
    "modular-cs": [{
        "name": "90-day onboarding (45-day time to value)",
        "description": "Lifecycle: onboarding days 0-90 (implementation, initial training, first value realization), "
        "then adoption. Goal: first value by day 45 on average.",
        "success_criteria": ["Business outcome the customer bought for", "First value definition (by day 45)",
                             "Adoption goal for the hand-over to adoption (day 90)"],
        "check_in_days": [30, 60, 90],
        "phases": [
            P("Post-sale handoff and kickoff", 0, 6,
              T("Sales handoff and implementation planning", 1, CSM),
              T("Kickoff call", 4, OS, KICKOFF)),
            P("Implementation", 7, 34,
              T("Technical implementation and integrations", 20, OS),
              T("Initial training for admins and users", 27, OS),
              T("Usage tracking verified in product analytics", 34, SE)),
            P("Go-live and first value", 35, 49,
              T("Go-live: workflows in production", 41, OS, GO_LIVE),
              T("First value realized", 44, CSM, FIRST_VALUE)),
            P("Adoption ramp", 50, 89,
              T("Feature adoption and usage optimization review", 60, CSM),
              T("Success metric progress check", 75, CSM),
              T("90-day review and hand-over to adoption", 89, CSM)),
        ],
    }],
}

HANDOFF_HINTS: dict[str, dict[str, list[str]]] = {
    "rag-fortress": {
        "use_case": ["Contract search across 2M legal documents", "Policy and claims knowledge search for agents",
                     "Clinical guideline retrieval for care teams"],
        "integration_requirements": ["SharePoint and S3 connectors, SSO (Okta)", "Confluence, Google Drive, Azure AD SSO"],
        "data_volume": ["~1.5 TB, mostly PDF, scanned pages need OCR", "~300 GB of Office documents, 12 languages"],
    },
    "techcorp": {
        "use_case": ["Store performance dashboards in IntelliReports", "Churn prediction with TechCorp AI"],
        "integration_requirements": ["Snowflake and Salesforce via DataFlow", "BigQuery, HubSpot and Zendesk"],
        "data_volume": ["40 tables, 200M rows, daily refresh", "12 sources, hourly refresh"],
    },
    "marketingai-pro": {
        "use_case": ["AI-generated campaign content for 4 brands", "Email nurture automation"],
        "integration_requirements": ["Shopify and Klaviyo", "HubSpot and Google Ads"],
        "data_volume": ["20k contacts", "150k contacts, 3 brands"],
    },
    "agent-factory": {
        "use_case": ["Support triage agent", "Claims intake agent", "Internal IT help-desk agent"],
        "integration_requirements": ["Zendesk and Slack", "Salesforce Service Cloud, REST tools"],
        "data_volume": ["5k conversations a month", "50k documents in the knowledge base"],
    },
    "modular-cs": {
        "use_case": ["Health scoring and churn prevention for a 400-account book", "Digital CS programs for SMB"],
        "integration_requirements": ["Salesforce, Zendesk and Mixpanel", "HubSpot and Intercom"],
        "data_volume": ["400 accounts, 90 days of usage history", "2,000 accounts, event stream"],
    },
}
CRITERIA_TEXT = ["Search answers in under 2 seconds for 95% of queries", "80% of licensed users active weekly",
                 "Replace the legacy tool before renewal", "First workflow automated end to end"]


def seed_tenant(ctx: SeedContext) -> None:
    templates = TEMPLATES.get(ctx.slug) or TEMPLATES["modular-cs"]
    for index, spec in enumerate(templates):  # the handbook's first plan replaces the generic default
        services.template_create(**spec, is_default=index == 0 or None)
    template = selectors.default_template()
    directory = selectors.role_directory()
    duration = max(p.end_day for p in template.phases.all()) + 1
    onboarding = _onboarding_accounts(ctx)
    established = [
        a for a in ctx.accounts
        if a.lifecycle_stage != LifecycleStage.ONBOARDING and duration + 30 <= (ctx.today - a.customer_since).days <= 540
    ][:HISTORY_PLANS]
    contacts = _contacts_by_account([a.pk for a in onboarding + established])
    built = []
    for i, account in enumerate(onboarding):
        scenario = COMPLETED if i < len(onboarding) // 4 else (LATE if i % 3 == 1 else ON_TRACK)
        if scenario == COMPLETED:
            start = min(account.customer_since, ctx.today - timedelta(days=duration + ctx.rng.randint(3, 20)))
        else:  # kickoff on signing, or later when the customer asked for it
            start = max(account.customer_since, ctx.today - timedelta(days=ctx.rng.randint(2, max(3, duration * 5 // 6))))
        built.append(_build(ctx, template, directory, account, start, scenario, contacts))
    for i, account in enumerate(established):
        scenario = HISTORY_LATE if i % 4 == 3 else HISTORY_ON_TIME
        built.append(_build(ctx, template, directory, account, account.customer_since, scenario, contacts))
    services.plans_save_built(built)
    _after_save(ctx, built)
    result = services.plans_mark_overdue(today=ctx.today)
    completed = sum(b.plan.status == PlanStatus.COMPLETED for b in built)
    ctx.progress(
        f"onboarding: {len(templates)} template(s), {len(built)} plans ({len(built) - completed} active, "
        f"{result['late_plans']} late, {completed} completed)"
    )


def _onboarding_accounts(ctx: SeedContext) -> list[Account]:
    """The demo accounts in the onboarding stage; when the random book has few, the newest customers
    are onboarding too (lifecycle: onboarding in the first 90-180 days)."""
    onboarding = [a for a in ctx.accounts if a.lifecycle_stage == LifecycleStage.ONBOARDING and a.status == "active"]
    if len(onboarding) < MIN_ONBOARDING_PLANS:
        newest = sorted(
            (a for a in ctx.accounts if a.lifecycle_stage != LifecycleStage.ONBOARDING and a.status == "active"
             and (ctx.today - a.customer_since).days <= 200),
            key=lambda a: a.customer_since, reverse=True,
        )[: MIN_ONBOARDING_PLANS - len(onboarding)]
        Account.objects.filter(pk__in=[a.pk for a in newest]).update(lifecycle_stage=LifecycleStage.ONBOARDING)
        for account in newest:
            account.lifecycle_stage = LifecycleStage.ONBOARDING
        onboarding += newest
    return sorted(onboarding, key=lambda a: a.customer_since)


def _contacts_by_account(account_ids: list[int]) -> dict[int, list[str]]:
    lines: dict[int, list[str]] = {}
    for account_id, name, title, role in Contact.objects.filter(account_id__in=account_ids, left_company=False).values_list(
        "account_id", "name", "title", "role"
    ).order_by("account_id", "name"):
        lines.setdefault(account_id, []).append(f"{name}, {title} ({role})")
    return lines


def _handoff(ctx: SeedContext, account: Account, start: date, contacts: dict[int, list[str]]) -> dict:
    hints = HANDOFF_HINTS.get(ctx.slug) or HANDOFF_HINTS["modular-cs"]
    return {
        "key_contacts": "\n".join(contacts.get(account.pk, [])[:4]),
        "use_case": ctx.rng.choice(hints["use_case"]),
        "implementation_timeline": f"Start {start:%Y-%m-%d}; launch in one go, priorities agreed at kickoff.",
        "integration_requirements": ctx.rng.choice(hints["integration_requirements"]),
        "data_volume": ctx.rng.choice(hints["data_volume"]),
        "budget_contract": f"{ctx.tenant.currency} {account.arr:,.0f} ARR, renewal {account.renewal_date:%Y-%m-%d}"
        if account.renewal_date else f"{ctx.tenant.currency} {account.arr:,.0f} ARR",
    }


def _at(ctx: SeedContext, day: date) -> datetime:
    return datetime.combine(day, time(15), ctx.tenant.tzinfo)


def _build(ctx, template, directory, account, start, scenario, contacts) -> services.BuiltPlan:
    built = services.plan_build(
        account=account, template=template, start_date=start, directory=directory,
        handoff=_handoff(ctx, account, start, contacts),
    )
    _play(ctx, built, scenario)
    return built


def _play(ctx: SeedContext, built: services.BuiltPlan, scenario: str) -> None:
    """Give a built plan a believable history up to today: which tasks are done, when, and what followed."""
    rng, today, plan = ctx.rng, ctx.today, built.plan
    tasks = sorted(built.tasks, key=lambda t: (t.due_date, t.position))
    past = [t for t in tasks if t.due_date < today]
    lagging = set()
    if scenario == LATE and past:
        lagging = {id(t) for t in past[-rng.randint(1, min(3, len(past))):]}
    delay = rng.randint(8, 25) if scenario == HISTORY_LATE else 0
    for n, task in enumerate(tasks):
        history = scenario in (HISTORY_ON_TIME, HISTORY_LATE, COMPLETED)
        if history or (task.due_date < today and id(task) not in lagging):
            slip = round(delay * n / max(1, len(tasks) - 1)) if history else 0
            day = min(today - timedelta(days=1), task.due_date + timedelta(days=slip + rng.randint(-2, 1)))
            task.status, task.completed_at, task.completed_by = WorkStatus.DONE, _at(ctx, max(plan.start_date, day)), task.owner
        elif id(task) in lagging:
            task.status = rng.choice([WorkStatus.IN_PROGRESS, WorkStatus.NOT_STARTED, WorkStatus.BLOCKED])
        elif task.due_date <= today + timedelta(days=4) and rng.random() < 0.6:
            task.status = WorkStatus.IN_PROGRESS
        if task.checklist:
            done_items = len(task.checklist) if task.status == WorkStatus.DONE else (
                len(task.checklist) // 2 if task.status == WorkStatus.IN_PROGRESS else 0)
            task.checklist = [dict(item, done=i < done_items) for i, item in enumerate(task.checklist)]
    done = [t for t in tasks if t.status == WorkStatus.DONE]
    by_milestone = {t.milestone: t for t in done if t.milestone}
    if Milestone.KICKOFF in by_milestone:
        plan.kickoff_date = by_milestone[Milestone.KICKOFF].completed_at.date()
    if Milestone.FIRST_VALUE in by_milestone:
        plan.first_value_at = by_milestone[Milestone.FIRST_VALUE].completed_at
        plan.time_to_value_days = days_between(plan.start_date, plan.first_value_at.date())
    if Milestone.GO_LIVE in by_milestone:
        plan.go_live_date = by_milestone[Milestone.GO_LIVE].completed_at.date()
    if tasks and len(done) == len(tasks):
        plan.status = PlanStatus.COMPLETED
        plan.completed_at = max(t.completed_at for t in done)
        plan.go_live_date = plan.go_live_date or plan.completed_at.date()
    if plan.go_live_date:
        plan.check_ins_scheduled_at = _at(ctx, plan.go_live_date)
    for i, criterion in enumerate(built.criteria):
        criterion.text = CRITERIA_TEXT[(i + plan.start_date.toordinal()) % len(CRITERIA_TEXT)]
        if plan.status == PlanStatus.COMPLETED:
            criterion.status = CriterionStatus.MET if rng.random() < 0.85 else CriterionStatus.MISSED


def _after_save(ctx: SeedContext, built: list[services.BuiltPlan]) -> None:
    """What the services would have done as the plans ran: account time to value and lifecycle,
    check-in CTAs after go-live, and the timeline (bulk writes)."""
    accounts, check_ins, activities = [], [], []
    for b in built:
        plan, account = b.plan, b.plan.account
        changed = False
        if plan.first_value_at:
            account.first_value_at, account.time_to_value_days = plan.first_value_at, plan.time_to_value_days
            changed = True
        if plan.status == PlanStatus.COMPLETED and account.lifecycle_stage == LifecycleStage.ONBOARDING:
            account.lifecycle_stage = LifecycleStage.ADOPTION
            changed = True
        if changed:
            accounts.append(account)
        activities.append(_activity(plan, f"Onboarding started: {plan.name}", _at(ctx, plan.start_date)))
        if plan.first_value_at:
            activities.append(_activity(plan, f"First value reached after {plan.time_to_value_days} days", plan.first_value_at))
        if plan.go_live_date:
            activities.append(_activity(plan, "Onboarding milestone: go-live", _at(ctx, plan.go_live_date)))
            for day, due in check_in_dates(plan.go_live_date, plan.check_in_days):
                closed = due < ctx.today - timedelta(days=2)
                check_ins.append(Task(
                    tenant=ctx.tenant, account=account, title=f"{day}-day onboarding check-in", owner=account.csm or plan.owner,
                    due_date=due, source=TaskSource.ONBOARDING, dedupe_key=plan.check_in_dedupe_key(day),
                    description=services.CHECK_IN_DESCRIPTION, status=TaskStatus.DONE if closed else TaskStatus.OPEN,
                    completed_at=_at(ctx, due) if closed else None,
                ))
        if plan.completed_at:
            activities.append(_activity(plan, f"Onboarding completed: {plan.name}", plan.completed_at))
    Account.objects.bulk_update(accounts, ["first_value_at", "time_to_value_days", "lifecycle_stage"], batch_size=500)
    Task.objects.bulk_create(check_ins, batch_size=2000)
    account_services.activities_record_bulk(activities)


def _activity(plan, subject: str, when: datetime) -> Activity:
    return Activity(account=plan.account, kind=ActivityKind.SYSTEM, subject=subject, source=services.SOURCE,
                    ref_type="onboarding_plan", ref_id=plan.pk, occurred_at=when)
