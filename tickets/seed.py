"""Demo data of the ticket app: each handbook tenant's SLA configuration (as data, keyed by slug) and a
realistic queue of a few hundred tickets over 90 days.

SLA configuration per handbook (seeds/README.md and the handbooks):

* RAG Fortress (000): Sev1 1h/4h, Sev2 4h/8h, Sev3 8h/24h, Sev4 24h/5 days. "L1 24/7, L2/L3 8 AM-6 PM
  PT": **Sev1 runs on the 24x7 clock** (production outages are worked round the clock, first by the 24/7
  L1 line); **Sev2-Sev4 run on business hours**, Monday-Friday 08:00-18:00 America/Los_Angeles, US
  holidays off (they are resolved by L2/L3, who work those hours); Sev4's "5 days" is five business
  days (3,000 business minutes). Escalate if unresolved in 24h.
* TechCorp (002): first response by segment, every severity: Enterprise 4h, Mid-Market 24h, SMB 48h
  (24x7, the handbook's "hours"). The handbook gives no resolution targets: Enterprise resolves within
  the API defaults (4h/8h/24h/5 days), Mid-Market and SMB are given 2 days / 3 days / 4 days / 7 days,
  at least twice their response time. Severity-only rows (any segment) keep the API defaults.
* MarketingAI Pro (003): first response critical 1h, high 4h, medium 24h, low 72h as severities 1-4;
  resolution (handbook: "< 24 hours for 80% of issues") 4h / 24h / 48h / 5 days; 24x7.
* Modular CS (001) and Agent Factory (004) have no SLA table in their handbooks: API defaults.

The queue is simulated in memory with the same engine helpers the services use (``sla_engine``), so
due instants, pauses, breaches, escalations and both logs are what the live system would have
written, then inserted in bulk (a few INSERTs per table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Activity, ActivityKind, Contact, TaskPriority, TaskSource
from accounts.services import activities_record_bulk, task_open_once
from core.seeding import SeedContext
from tickets import sla, sla_engine
from tickets.escalation import automatic_reason, escalation_dedupe_key
from tickets.models import (
    MAX_SUPPORT_LEVEL,
    PENDING_SLA_STATES,
    RUNNING_STATUSES,
    UNRESOLVED_STATUSES,
    Channel,
    SlaEventKind,
    SlaMetric,
    SlaState,
    Ticket,
    TicketChange,
    TicketComment,
    TicketSlaEvent,
    TicketStatus,
)
from tickets.services.common import next_ticket_numbers
from tickets.services.sla_config import business_hours_update, sla_policies_replace, support_settings_update

WEEKDAYS_8_TO_6 = [{"weekday": day, "start": "08:00", "end": "18:00"} for day in range(5)]
US_HOLIDAYS = [
    "2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-07-03", "2026-09-07", "2026-11-26", "2026-11-27",
    "2026-12-25", "2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31", "2027-07-05", "2027-09-06",
    "2027-11-25", "2027-11-26", "2027-12-24",
]
H = 60  # minutes per hour
DAY = 24 * H


def _policy(severity: int, response: int, resolution: int, clock: str = "24x7", segment: str | None = None) -> dict:
    return {"severity": severity, "segment": segment, "response_minutes": response, "resolution_minutes": resolution,
            "clock": clock}


def _defaults() -> list[dict]:
    return [_policy(sev, resp, res) for sev, (resp, res) in sla_engine.DEFAULT_TARGETS.items()]


def _techcorp() -> list[dict]:
    rows = _defaults()
    response_by_segment = {"enterprise": 4 * H, "mid_market": 24 * H, "smb": 48 * H}
    resolution = {
        "enterprise": {1: 4 * H, 2: 8 * H, 3: DAY, 4: 5 * DAY},
        "mid_market": {1: 2 * DAY, 2: 3 * DAY, 3: 4 * DAY, 4: 7 * DAY},
        "smb": {1: 4 * DAY, 2: 4 * DAY, 3: 5 * DAY, 4: 7 * DAY},
    }
    for segment, response in response_by_segment.items():
        rows += [_policy(sev, response, max(resolution[segment][sev], response), segment=segment) for sev in (1, 2, 3, 4)]
    return rows


SLA_CONFIG: dict[str, dict[str, Any]] = {
    "rag-fortress": {
        "business_hours": {"timezone": "America/Los_Angeles", "intervals": WEEKDAYS_8_TO_6, "holidays": US_HOLIDAYS},
        "policies": [
            _policy(1, 1 * H, 4 * H, "24x7"),
            _policy(2, 4 * H, 8 * H, "business_hours"),
            _policy(3, 8 * H, 24 * H, "business_hours"),
            # "5-day resolution" on the business clock means five business days of 10 hours.
            _policy(4, 24 * H, 5 * 10 * H, "business_hours"),
        ],
        "escalate_after_minutes": DAY,
    },
    "techcorp": {
        "business_hours": {"timezone": "America/Chicago", "intervals": WEEKDAYS_8_TO_6, "holidays": US_HOLIDAYS},
        "policies": _techcorp(),
        "escalate_after_minutes": DAY,
    },
    "marketingai-pro": {
        "business_hours": {"timezone": "America/New_York", "intervals": WEEKDAYS_8_TO_6, "holidays": US_HOLIDAYS},
        "policies": [_policy(1, 1 * H, 4 * H), _policy(2, 4 * H, DAY), _policy(3, DAY, 2 * DAY),
                     _policy(4, 72 * H, 5 * DAY)],
        "escalate_after_minutes": DAY,
    },
    "modular-cs": {"policies": _defaults(), "escalate_after_minutes": DAY},
    "agent-factory": {"policies": _defaults(), "escalate_after_minutes": DAY},
}

ISSUES: dict[str, list[tuple[str, str]]] = {
    "rag-fortress": [
        ("Search returns no results for newly ingested PDFs", "Documents uploaded yesterday don't appear in search."),
        ("Ingestion job stuck at 60%", "The nightly SharePoint ingestion has been running for 9 hours."),
        ("Citations link to the wrong page", "Answers cite page numbers that don't match the source."),
        ("SSO login loop for some users", "A few users are redirected back to the login page."),
        ("Answer quality dropped after the update", "Answers are vaguer than last week on our contracts corpus."),
        ("Permission filter hides documents users should see", "Legal team can't find their own matter files."),
        ("API rate limit errors from our integration", "We get 429s at about 50 requests per minute."),
        ("How do we exclude a folder from ingestion?", "We want to skip drafts in one SharePoint library."),
    ],
    "techcorp": [
        ("DataFlow pipeline failing on schema change", "The orders pipeline fails since a column was added."),
        ("IntelliReports dashboard is slow", "The revenue dashboard takes over a minute to load."),
        ("TechCorp AI forecast looks off", "The forecast for Q3 is double last year's actuals."),
        ("Scheduled report emails not delivered", "Monday's scheduled reports never arrived."),
        ("Need help with a calculated field", "How do we compute margin by region in IntelliReports?"),
        ("Connector to Snowflake times out", "The Snowflake connector times out after 30 seconds."),
    ],
    "marketingai-pro": [
        ("Campaign generator is down", "We can't generate any copy: the page shows an error."),
        ("Brand voice settings not applied", "Generated emails ignore our brand voice profile."),
        ("HubSpot sync duplicates contacts", "Every sync creates duplicates in HubSpot."),
        ("Image generation quality question", "Images look blurry when exported for print."),
        ("Billing: seats not updated after upgrade", "We upgraded to 25 seats but still see 10."),
        ("Feature request: Spanish copy", "Can the generator write Spanish campaigns?"),
    ],
}
GENERIC_ISSUES = [
    ("Users can't log in", "Several users report they can't sign in this morning."),
    ("Export to CSV fails", "Exports of more than 10,000 rows fail with an error."),
    ("Webhook deliveries delayed", "Webhooks arrive 20 minutes late."),
    ("Question about permissions", "How do we give a contractor read-only access?"),
    ("Integration sync errors", "The CRM sync shows errors for some records."),
    ("Dashboard numbers don't match", "The weekly totals differ from our own report."),
]
AGENT_REPLIES = [
    "Thanks for reporting this. Could you send the request ID and the time it happened?",
    "We're looking into it now and will update you within the hour.",
    "I could reproduce this; our engineers are on it.",
]
CUSTOMER_REPLIES = ["Here are the logs you asked for.", "Request ID attached; it happened at 9:40.",
                    "Thanks, the workaround helps for now."]
RESOLUTIONS = ["A fix is deployed; please confirm on your side.", "This was a configuration issue; I've corrected it.",
               "Answered in the knowledge base article linked above."]
SEVERITY_WEIGHTS = [(1, 0.06), (2, 0.16), (3, 0.46), (4, 0.32)]
CHANNEL_WEIGHTS = [(Channel.EMAIL, 0.45), (Channel.PORTAL, 0.25), (Channel.CHAT, 0.15), (Channel.PHONE, 0.1),
                   (Channel.API, 0.05)]


def _weighted(rng, pairs):
    roll, total = rng.random(), 0.0
    for value, weight in pairs:
        total += weight
        if roll < total:
            return value
    return pairs[-1][0]


def configure_tenant(slug: str) -> None:
    """Write the handbook's SLA policies, business hours and escalation setting for the tenant in context."""
    config = SLA_CONFIG.get(slug, {"policies": _defaults()})
    if "business_hours" in config:
        hours = config["business_hours"]
        business_hours_update(timezone_name=hours["timezone"], intervals=hours["intervals"], holidays=hours["holidays"])
    sla_policies_replace(policies=config["policies"])
    support_settings_update(escalate_after_minutes=config.get("escalate_after_minutes", DAY))


# --------------------------------------------------------------------------- simulation


@dataclass
class _Sim:
    """One ticket's history, written as the services and the scan would have written it."""

    ticket: Ticket
    config: sla_engine.SlaConfig
    events: list[TicketSlaEvent] = field(default_factory=list)
    changes: list[TicketChange] = field(default_factory=list)
    comments: list[TicketComment] = field(default_factory=list)
    escalated_from: int | None = None

    def event(self, kind: str, metric: str, at: datetime, due: datetime | None = None, **detail) -> None:
        self.events.append(TicketSlaEvent(kind=kind, metric=metric, at=at, due_at=due, detail=detail))

    def change(self, action: str, at: datetime, changes: dict, actor=None, label: str = "", note: str = "") -> None:
        self.changes.append(TicketChange(action=action, at=at, changes=changes, actor=actor, actor_label=label, note=note))

    def comment(self, body: str, at: datetime, *, author=None, contact=None, public: bool = True) -> None:
        self.comments.append(TicketComment(body=body, created_at=at, author=author, contact=contact, public=public,
                                           from_customer=contact is not None, channel=self.ticket.channel))

    def status(self, to: str, at: datetime, actor=None, note: str = "") -> None:
        self.change("status", at, {"status": [self.ticket.status, to]}, actor=actor, note=note)
        self.ticket.status = to
        self.ticket.updated_at = at

    def advance(self, until: datetime) -> None:
        """What the minute-by-minute scan would have done up to ``until`` (warnings, breaches, escalation)."""
        t = self.ticket
        found: list[tuple[datetime, str, str, datetime | None]] = []
        for metric, statuses in ((SlaMetric.RESPONSE, UNRESOLVED_STATUSES), (SlaMetric.RESOLUTION, RUNNING_STATUSES)):
            state = getattr(t, f"{metric}_state")
            at_risk, due = getattr(t, f"{metric}_at_risk_at"), getattr(t, f"{metric}_due_at")
            if t.status not in statuses or state not in PENDING_SLA_STATES:
                continue
            if state == SlaState.ON_TRACK and at_risk <= until and at_risk <= due:
                found.append((at_risk, SlaEventKind.WARNED, metric, due))
            if due < until:
                found.append((due, SlaEventKind.BREACHED, metric, due))
        for at, kind, metric, due in sorted(found, key=lambda item: item[0]):
            state = SlaState.AT_RISK if kind == SlaEventKind.WARNED else SlaState.BREACHED
            setattr(t, f"{metric}_state", state)
            self.event(kind, metric, at, due)
        if t.status in RUNNING_STATUSES and t.escalated_at is None:
            triggers = [at for at, kind, _, _ in found if kind == SlaEventKind.BREACHED]
            triggers += [t.escalate_at] if t.escalate_at and t.escalate_at <= until else []
            if triggers:
                at = min(triggers)
                t.escalated_at = at
                self.escalated_from = t.support_level
                t.support_level = min(MAX_SUPPORT_LEVEL, t.support_level + 1)
                self.change("escalated", at, {"support_level": [self.escalated_from, t.support_level]},
                            label="SLA engine", note=automatic_reason(t, at))


def _plan(ctx: SeedContext, sim: _Sim, now: datetime, engineers: list) -> None:
    """Play one ticket's life: assignment and first response, maybe a pause for the customer, resolution."""
    rng, t, config = ctx.rng, sim.ticket, sim.config
    calendar = config.calendar(t.sla_clock)
    response_target, resolution_target = t.response_target_minutes, t.resolution_target_minutes
    late = rng.random() < 0.1
    delay = response_target * (rng.uniform(1.05, 1.8) if late else rng.uniform(0.08, 0.85))
    responded_at = sla.add_business_minutes(t.opened_at, delay, calendar)
    agent = rng.choice(engineers) if engineers else None
    if responded_at >= now:
        if rng.random() < 0.5 and agent is not None:  # assigned, not answered yet
            assigned_at = min(now, t.opened_at + timedelta(minutes=rng.randint(5, 40)))
            sim.advance(assigned_at)
            t.assignee = agent
            sim.change("assigned", assigned_at, {"assignee": [None, agent.email]}, actor=agent)
            sim.status(TicketStatus.OPEN, assigned_at, actor=agent, note="Assigned")
        sim.advance(now)
        return
    _first_reply(ctx, sim, responded_at, agent)
    work = resolution_target * (rng.uniform(1.05, 1.6) if rng.random() < 0.08 else rng.uniform(0.3, 0.95))
    if rng.random() < 0.35 and _pending_customer(ctx, sim, responded_at, agent, now):  # needs the customer
        return
    not_due_yet = t.resolution_due_at is not None and t.resolution_due_at > now
    if now - t.opened_at < timedelta(days=10) and rng.random() < (0.7 if not_due_yet else 0.15):  # still worked on
        sim.advance(now)
        return
    resolved_at = sla.add_business_minutes(
        t.resolution_clock_started_at, max(0.0, work - t.resolution_elapsed_minutes), calendar
    )
    if resolved_at >= now:
        sim.advance(now)
        return
    _resolve(ctx, sim, resolved_at, agent, now)


def _first_reply(ctx: SeedContext, sim: _Sim, responded_at: datetime, agent) -> None:
    """The agent takes the ticket and answers: the first response (met, or breached by the scan before)."""
    t = sim.ticket
    sim.advance(responded_at)
    if agent is not None:
        t.assignee = agent
        sim.change("assigned", responded_at, {"assignee": [None, agent.email]}, actor=agent)
    sim.comment(ctx.rng.choice(AGENT_REPLIES), responded_at, author=agent)
    t.first_response_at = responded_at
    if t.response_state in PENDING_SLA_STATES:
        t.response_state = SlaState.MET
        sim.event(SlaEventKind.MET, SlaMetric.RESPONSE, responded_at, t.response_due_at)
    sim.change("first_response", responded_at, {"first_response_at": [None, responded_at.isoformat()]}, actor=agent)
    sim.status(TicketStatus.OPEN, responded_at, actor=agent, note="Replied")


def _pending_customer(ctx: SeedContext, sim: _Sim, responded_at: datetime, agent, now: datetime) -> bool:
    """The agent waits on the customer (the resolution clock pauses); True when the ticket's story ends here."""
    rng, t, config = ctx.rng, sim.ticket, sim.config
    elapsed = sla_engine.pause_resolution(t, config, at=responded_at) or 0.0
    sim.event(SlaEventKind.PAUSED, SlaMetric.RESOLUTION, t.resolution_due_at, elapsed_minutes=round(elapsed, 2))
    if t.resolution_state in PENDING_SLA_STATES:
        t.resolution_state, t.resolution_due_at, t.resolution_at_risk_at = SlaState.PAUSED, None, None
    sim.status(TicketStatus.PENDING_CUSTOMER, responded_at, actor=agent)
    if rng.random() < 0.2:  # the customer never answers: resolved after a few days of silence
        give_up_at = responded_at + timedelta(days=rng.uniform(3, 5))
        if give_up_at >= now:
            sim.advance(now)
        else:
            _resolve(ctx, sim, give_up_at, agent, now, note="No reply from the customer")
        return True
    replied_at = responded_at + timedelta(hours=rng.uniform(1, 72))
    if replied_at >= now:
        sim.advance(now)
        return True
    sim.comment(rng.choice(CUSTOMER_REPLIES), replied_at, contact=t.contact)
    due = sla_engine.resume_resolution(t, config, at=replied_at)
    if t.resolution_state != SlaState.BREACHED:
        sim.event(SlaEventKind.RESUMED, SlaMetric.RESOLUTION, replied_at, due)
    sim.status(TicketStatus.OPEN, replied_at, note="Customer replied")
    return False


def _resolve(ctx: SeedContext, sim: _Sim, resolved_at: datetime, agent, now: datetime, note: str = "") -> None:
    """The agent resolves (a running or paused clock: met unless already breached); most get closed later."""
    t, rng = sim.ticket, ctx.rng
    sim.advance(resolved_at)
    sla_engine.pause_resolution(t, sim.config, at=resolved_at)
    if t.resolution_state in (*PENDING_SLA_STATES, SlaState.PAUSED):
        t.resolution_state = SlaState.MET
        sim.event(SlaEventKind.MET, SlaMetric.RESOLUTION, resolved_at, t.resolution_due_at,
                  elapsed_minutes=round(t.resolution_elapsed_minutes, 2))
    sim.comment(rng.choice(RESOLUTIONS), resolved_at, author=agent)
    t.resolved_at = resolved_at
    sim.status(TicketStatus.RESOLVED, resolved_at, actor=agent, note=note)
    closed_at = resolved_at + timedelta(days=rng.uniform(1, 4))
    if closed_at < now and rng.random() < 0.7:
        t.closed_at = closed_at
        sim.status(TicketStatus.CLOSED, closed_at, note="Closed after confirmation")


def seed_tenant(ctx: SeedContext, *, tickets: int | None = None) -> list[Ticket]:
    """Configure the tenant's SLAs and seed its demo queue (about 5 tickets per account, at least 150)."""
    configure_tenant(ctx.slug)
    if not ctx.accounts:
        return []
    rng, tenant = ctx.rng, ctx.tenant
    now = timezone.now()
    config = sla_engine.load_config()
    engineers = (ctx.users.get("support_engineer") or []) + (ctx.users.get("support_manager") or [])
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(account__in=ctx.accounts).order_by("pk"):
        contacts.setdefault(contact.account_id, []).append(contact)
    issues = ISSUES.get(ctx.slug, GENERIC_ISSUES)
    count = tickets or max(150, 5 * len(ctx.accounts))
    # Older tickets are fewer per day than recent ones would suggest: most of the queue is history.
    openings = sorted(now - timedelta(minutes=90 * DAY * rng.random() ** 1.3) for _ in range(count))
    sims: list[_Sim] = []
    for opened_at in openings:
        account = rng.choice(ctx.accounts)
        subject, description = rng.choice(issues)
        severity = _weighted(rng, SEVERITY_WEIGHTS)
        ticket = Ticket(
            tenant=tenant, account=account, contact=rng.choice(contacts[account.pk]) if contacts.get(account.pk) else None,
            subject=subject, description=description, severity=severity, channel=_weighted(rng, CHANNEL_WEIGHTS),
            opened_at=opened_at, updated_at=opened_at, status=TicketStatus.NEW,
            tags=[rng.choice(["bug", "question", "how-to", "outage", "billing", "integration"])],
        )
        target = config.target_for(severity, account.segment)
        sla_engine.start_ticket_clocks(ticket, target, config, now=opened_at)
        sim = _Sim(ticket, config)
        sim.event(SlaEventKind.APPLIED, SlaMetric.BOTH, opened_at, None, policy_id=target.policy_id,
                  severity=severity, segment=target.segment, clock=target.clock,
                  response_minutes=target.response_minutes, resolution_minutes=target.resolution_minutes)
        sim.change("created", opened_at, {"status": [None, "new"], "severity": [None, severity]},
                   label=f"Email from {ticket.contact.email}" if ticket.channel == Channel.EMAIL and ticket.contact else "")
        _plan(ctx, sim, now, engineers)
        sims.append(sim)
    _write(ctx, sims, now)
    ctx.progress(f"{len(sims)} tickets ({sum(s.ticket.status in UNRESOLVED_STATUSES for s in sims)} unresolved, "
                 f"{sum(s.ticket.response_state == 'breached' or s.ticket.resolution_state == 'breached' for s in sims)}"
                 " breached)")
    return [s.ticket for s in sims]


def _write(ctx: SeedContext, sims: list[_Sim], now: datetime) -> None:
    tenant = ctx.tenant
    last = next_ticket_numbers(len(sims))
    for offset, sim in enumerate(sims):
        sim.ticket.number = last - len(sims) + 1 + offset
    created = Ticket.objects.bulk_create([s.ticket for s in sims], batch_size=1000)
    events, changes, comments, activities = [], [], [], []
    for sim, ticket in zip(sims, created, strict=True):
        for row in (*sim.events, *sim.changes, *sim.comments):
            row.tenant, row.ticket = tenant, ticket
        events += sim.events
        changes += sim.changes
        comments += sim.comments
        activities += [
            Activity(account_id=ticket.account_id, kind=ActivityKind.SYSTEM, author=change.actor, occurred_at=change.at,
                     subject=f"Ticket #{ticket.number}: {_summary(change, ticket)}"[:200], body=ticket.subject,
                     source="tickets", ref_type="ticket", ref_id=ticket.pk,
                     metadata={"action": change.action, "changes": change.changes})
            for change in sim.changes if change.action in ("created", "status", "assigned", "escalated")
        ]
    TicketSlaEvent.objects.bulk_create(events, batch_size=2000)
    TicketChange.objects.bulk_create(changes, batch_size=2000)
    TicketComment.objects.bulk_create(comments, batch_size=2000)
    activities_record_bulk(activities)
    for sim, ticket in zip(sims, created, strict=True):  # open escalation CTAs for unresolved Sev1/Sev2
        if sim.escalated_from is not None and ticket.severity <= 2 and ticket.status in UNRESOLVED_STATUSES:
            task_open_once(
                account=ticket.account, dedupe_key=escalation_dedupe_key(ticket.pk),
                title=f"Sev{ticket.severity} ticket #{ticket.number} escalated: {ticket.subject}"[:200],
                owner=ticket.account.csm, due_date=(now + timedelta(days=1)).date(),
                priority=TaskPriority.URGENT if ticket.severity == 1 else TaskPriority.HIGH, source=TaskSource.TICKET,
                description=automatic_reason(ticket, now),
            )


def _summary(change: TicketChange, ticket: Ticket) -> str:
    if change.action == "created":
        return f"opened (Sev{ticket.severity}) {ticket.subject}"
    if change.action == "escalated":
        return f"escalated to L{change.changes['support_level'][1]}"
    if change.action == "assigned":
        who = change.actor.display_name if change.actor is not None else change.changes["assignee"][1]
        return f"assigned to {who}"  # a name, as the live services write it (never the email)
    old, new = change.changes["status"]
    return f"{TicketStatus(old).label} → {TicketStatus(new).label}"

