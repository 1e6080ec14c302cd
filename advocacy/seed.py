"""Advocacy's demo data for the handbook tenants (``seed_demo``): about 18 months of survey history, then the
reference program (``advocacy.seed_references``),
in two steps so health can score the answers in between (``ops.demo.advocacy``), so the NPS/CSAT reports, the accounts' survey panels and
the reference pool are alive on first run.

* Quarterly NPS campaigns (semi-annual for TechCorp, handbook 002), sent, with one send per contact of the
  chosen roles of the accounts that were customers then, and 25-40% of them answered;
* CSAT after resolved tickets (the ticket's contact, once per ticket, at most once per contact in 7 days),
  post-implementation surveys at 30/60/90 days after an onboarding plan went live (future milestones pending);
* the fatigue limit and an unsubscribe applied as the sending batches would (skipped sends with their reason).

Answers follow the account's health band (top band mostly promoters, bottom band mostly detractors, not
always), nudged per tenant by its handbook's targets (003: NPS above 70, CSAT above 4.5), from a seeded RNG.
Every response looks as if ``response_services.response_record`` had recorded it: its timeline entry, and
for the detractors (and CSAT 1-2) of the last 30 days a CTA with the service's dedupe key.

Deterministic and idempotent (a tenant that has any survey or response gets none), bulk-written.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.models import (
    Account,
    AccountStatus,
    Activity,
    ActivityKind,
    Contact,
    ContactRole,
    Task,
    TaskPriority,
    TaskSource,
)
from accounts.services import activities_record_bulk, cta_open_bulk
from advocacy import nps as math
from advocacy import seed_references as seed_references_module
from advocacy.models import (
    PURPOSE_KIND,
    SendStatus,
    Survey,
    SurveyKind,
    SurveyPurpose,
    SurveyResponse,
    SurveySend,
    SurveyStatus,
    Unsubscribe,
    nps_category,
)
from advocacy.response_services import CTA_DUE_HOURS, CTA_KEY_PREFIX, describe
from advocacy.survey_services import DEFAULT_WORDING
from core.registries.bands import tenant_bands
from core.seeding import AGENT_FACTORY, MARKETINGAI_PRO, MODULAR_CS, RAG_FORTRESS, TECHCORP, SeedContext

HISTORY_DAYS = 548  # about 18 months
LATEST_CAMPAIGN_DAYS_AGO = 12
CADENCE_DAYS = {TECHCORP: 182}  # "Semi-annual NPS and CSAT surveys"; the others quarterly
QUARTER_DAYS = 91
NPS_ROLES = [ContactRole.BUSINESS, ContactRole.EXECUTIVE, ContactRole.TECHNICAL]
POST_IMPLEMENTATION_DAYS = (30, 60, 90)
FATIGUE_DAYS, CSAT_CONTACT_DAYS = 30, 7
ALERT_DAYS = 30  # detractors answered in the last 30 days have their follow-up CTA open
ADVOCATES = 6  # top-band, 12+ month accounts whose champion answers the latest campaign as a promoter
# Per tenant: (NPS lift, CSAT lift), so each lands near its handbook's targets.
LIFTS = {
    RAG_FORTRESS: (2.1, 0.6), MODULAR_CS: (1.9, 0.4), TECHCORP: (0.8, 0.4), MARKETINGAI_PRO: (1.6, 0.6),
    AGENT_FACTORY: (1.5, 0.4),
}
COMMENTS = {
    "promoter": [
        "Search across all our contracts went from days to seconds.", "Our CSM is proactive and knows our business.",
        "Onboarding was smooth and the team got value in the first month.", "Support answers fast and follows through.",
        "We recommended you to two partner firms already.", "The product keeps getting better every release.",
    ],
    "passive": [
        "Good product, but reporting could be more flexible.", "Works well; pricing for more seats is steep.",
        "Solid overall. Would like better admin controls.", "Some features are hard to find for new users.",
    ],
    "detractor": [
        "Too many outages this quarter.", "Support took a week to answer a blocking issue.",
        "We are not seeing the ROI we were promised.", "The integration with our CRM keeps breaking.",
        "Our champion left and nobody reached out to us.",
    ],
    "csat_good": ["Quick and clear answer, thank you.", "Solved on the first reply.", "Great help from the agent.",
                  "Very patient walkthrough of the fix."],
    "csat_bad": ["Took far too long to resolve.", "I had to explain the problem three times.",
                 "The workaround does not really fix it."],
}


@dataclass(frozen=True)
class ResolvedTicket:
    ticket_id: int
    account_id: int
    contact_id: int
    resolved_at: datetime


@dataclass(frozen=True)
class GoLive:
    plan_id: int
    account_id: int
    went_live_on: date


@dataclass
class _Send:
    survey: Survey
    account_id: int
    contact: Contact
    at: datetime
    occasion: str = ""
    status: str = SendStatus.SENT
    skip_reason: str = ""
    response: SurveyResponse | None = None


def seed_surveys(ctx: SeedContext, *, resolved_tickets: list[ResolvedTicket] = (), go_lives: list[GoLive] = ()) -> bool:
    """The survey history, unless the tenant has any survey or response; whether anything was written."""
    rng = random.Random(ctx.rng.getrandbits(64))
    if Survey.objects.exists() or SurveyResponse.objects.exists():
        return False
    done = _Surveys(ctx, rng).run(list(resolved_tickets), list(go_lives))
    ctx.progress("surveys: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in done.items()))
    return True


def seed_references(ctx: SeedContext) -> bool:
    """The reference program (after the surveys, and best after health scored them: eligibility reads the
    latest NPS and the health band), unless the tenant has started one; whether anything was written."""
    done = seed_references_module.seed_tenant(ctx, random.Random(ctx.rng.getrandbits(64)))
    if done:
        ctx.progress("reference program: " + ", ".join(f"{v} {k}" for k, v in done.items()))
    return bool(done)


def _at(day: date, hour: int, tz, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tz)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


class _Surveys:
    """One tenant's survey history, built in memory then written in a handful of bulk INSERTs."""

    def __init__(self, ctx: SeedContext, rng: random.Random):
        self.ctx, self.rng, self.tz = ctx, rng, ctx.tenant.tzinfo
        self.now = timezone.now()
        self.today = ctx.today
        self.nps_lift, self.csat_lift = LIFTS.get(ctx.slug, (0.3, 0.2))
        bands = [b["key"] for b in tenant_bands()]
        self.accounts = {a.pk: a for a in Account.objects.order_by("pk")}
        self.mood = {pk: self._mood(a, bands) for pk, a in self.accounts.items()}
        self.contacts = [c for c in Contact.objects.exclude(email="").order_by("pk")]
        self.by_id = {c.pk: c for c in self.contacts}
        self.sends: list[_Send] = []
        self.advocates = self._advocates(bands)

    # --- who answers what -------------------------------------------------------------------------------

    def _mood(self, account: Account, bands: list[str]) -> float:
        """0 (bottom band) .. 1 (top band), blurred per account: answers follow health, imperfectly."""
        if account.health_status in bands and len(bands) > 1:
            base = 1 - bands.index(account.health_status) / (len(bands) - 1)
        else:
            base = 0.5
        if account.status != AccountStatus.ACTIVE:
            base = 0.15
        return _clamp(base + self.rng.gauss(0, 0.12), 0, 1)

    def _advocates(self, bands: list[str]) -> dict[int, Contact]:
        """Top-band accounts, customers for 13+ months, with an active champion: their champion answers the
        latest NPS campaign as a promoter (the reference pool's candidates)."""
        champions = {c.account_id: c for c in self.contacts if c.is_champion and not c.left_company}
        cutoff = self.today - timedelta(days=400)
        top = bands[0] if bands else None
        candidates = [
            pk for pk, a in self.accounts.items()
            if a.status == AccountStatus.ACTIVE and a.health_status == top and a.customer_since <= cutoff
            and pk in champions
        ]
        chosen = self.rng.sample(candidates, min(ADVOCATES, len(candidates)))
        for pk in chosen:
            self.mood[pk] = 1.0
        return {pk: champions[pk] for pk in sorted(chosen)}

    def _nps_score(self, account_id: int) -> int:
        mean = 4.8 + 4.6 * self.mood[account_id] + self.nps_lift
        return int(_clamp(round(self.rng.gauss(mean, 1.5)), 0, 10))

    def _csat_score(self, account_id: int) -> int:
        mean = 3.3 + 1.5 * self.mood[account_id] + self.csat_lift
        return int(_clamp(round(self.rng.gauss(mean, 0.8)), 1, 5))

    def _comment(self, kind: str, score: int) -> str:
        if self.rng.random() < 0.4:
            return ""
        if kind == SurveyKind.NPS:
            return self.rng.choice(COMMENTS[nps_category(score)])
        return self.rng.choice(COMMENTS["csat_good" if score >= math.CSAT_SATISFIED_MIN else "csat_bad"])

    def _customer_on(self, account_id: int, day: date) -> bool:
        account = self.accounts[account_id]
        if account.customer_since > day:
            return False
        return account.status == AccountStatus.ACTIVE or (account.renewal_date or day) > day

    # --- the campaigns and the automatic surveys ----------------------------------------------------------

    def _survey(self, purpose: str, **fields) -> Survey:
        return Survey(tenant=self.ctx.tenant, purpose=purpose, kind=PURPOSE_KIND[SurveyPurpose(purpose)],
                      **DEFAULT_WORDING[purpose], **fields)

    def _campaigns(self) -> list[Survey]:
        cadence = CADENCE_DAYS.get(self.ctx.slug, QUARTER_DAYS)
        author = self.ctx.user("vp") or self.ctx.user("admin")
        surveys, days_ago = [], LATEST_CAMPAIGN_DAYS_AGO
        while days_ago <= HISTORY_DAYS - 30:
            day = self.today - timedelta(days=days_ago)
            start = _at(day, 9, self.tz)
            period = f"H{1 + (day.month - 1) // 6}" if cadence > QUARTER_DAYS else f"Q{1 + (day.month - 1) // 3}"
            surveys.append(self._survey(
                SurveyPurpose.NPS_QUARTERLY, name=f"{period} {day.year} NPS", target_roles=list(NPS_ROLES),
                status=SurveyStatus.SENT, created_by=author, created_at=start - timedelta(days=6),
                scheduled_for=start, started_at=start, finished_at=start + timedelta(minutes=4),
            ))
            days_ago += cadence
        return surveys

    def _plan_sends(self, campaigns, csat, post, tickets, go_lives) -> None:
        for survey in campaigns:
            day = timezone.localdate(survey.started_at, self.tz)
            for contact in self.contacts:
                if contact.role in NPS_ROLES and self._customer_on(contact.account_id, day):
                    self.sends.append(_Send(survey, contact.account_id, contact,
                                            survey.started_at + timedelta(seconds=self.rng.randint(0, 200))))
        since = self.now - timedelta(days=HISTORY_DAYS)
        for t in tickets:
            contact = self.by_id.get(t.contact_id)
            if contact is not None and t.resolved_at >= since and t.account_id in self.accounts:
                self.sends.append(_Send(csat, t.account_id, contact, t.resolved_at + timedelta(minutes=2),
                                        occasion=f"ticket:{t.ticket_id}"))
        by_account: dict[int, list[Contact]] = {}
        for contact in self.contacts:
            if not contact.left_company:
                by_account.setdefault(contact.account_id, []).append(contact)
        for live in go_lives:
            for days in POST_IMPLEMENTATION_DAYS:
                due = _at(live.went_live_on + timedelta(days=days), 9, self.tz)
                for contact in by_account.get(live.account_id, []):
                    send = _Send(post, live.account_id, contact, due, occasion=f"plan:{live.plan_id}:{days}")
                    if due > self.now:
                        send.status = SendStatus.PENDING
                    self.sends.append(send)

    def _apply_rules(self, unsubscribed: dict[str, datetime]) -> None:
        """Skip, in send order, as the batches would: unsubscribed, fatigued (NPS/post-implementation within
        30 days), CSAT to one contact within 7 days."""
        last: dict[tuple[str, bool], date] = {}
        for send in sorted(self.sends, key=lambda s: s.at):
            if send.status == SendStatus.PENDING:
                continue
            key = send.contact.email.lower()
            day = timezone.localdate(send.at, self.tz)
            is_csat = send.survey.purpose == SurveyPurpose.CSAT_TICKET
            window = CSAT_CONTACT_DAYS if is_csat else FATIGUE_DAYS
            before = last.get((key, is_csat))
            if key in unsubscribed and unsubscribed[key] <= send.at:
                send.status, send.skip_reason = SendStatus.SKIPPED, "unsubscribed"
            elif before is not None and (day - before).days < window:
                send.status, send.skip_reason = SendStatus.SKIPPED, "csat_recently" if is_csat else "fatigue"
            else:
                last[(key, is_csat)] = day

    def _answer(self, latest: Survey) -> list[SurveyResponse]:
        responses = []
        for send in self.sends:
            if send.status != SendStatus.SENT:
                continue
            mood = self.mood[send.account_id]
            forced = send.survey is latest and self.advocates.get(send.account_id) == send.contact
            if not forced and self.rng.random() >= 0.22 + 0.16 * mood:
                continue
            kind = send.survey.kind
            score = self.rng.choice((9, 10)) if forced else (
                self._nps_score(send.account_id) if kind == SurveyKind.NPS else self._csat_score(send.account_id))
            at = min(send.at + timedelta(hours=self.rng.uniform(0.2, 24 * 9)), self.now - timedelta(minutes=5))
            send.response = SurveyResponse(
                tenant=self.ctx.tenant, account_id=send.account_id, contact=send.contact, kind=kind, score=score,
                comment=self._comment(kind, score), responded_at=at, created_at=at,
            )
            responses.append(send.response)
        return responses

    def run(self, tickets: list[ResolvedTicket], go_lives: list[GoLive]) -> dict[str, int]:
        campaigns = self._campaigns()
        first = self.now - timedelta(days=HISTORY_DAYS)
        csat = self._survey(SurveyPurpose.CSAT_TICKET, automatic=True, status=SurveyStatus.SENDING,
                            name=SurveyPurpose.CSAT_TICKET.label, created_at=first)
        post = self._survey(SurveyPurpose.POST_IMPLEMENTATION, automatic=True, status=SurveyStatus.SENDING,
                            name=SurveyPurpose.POST_IMPLEMENTATION.label, created_at=first)
        self._plan_sends(campaigns, csat, post, tickets, go_lives)
        unsubscribed = self._unsubscribes(campaigns)
        self._apply_rules(unsubscribed)
        responses = self._answer(campaigns[0] if campaigns else None)
        for survey in [*campaigns, csat, post]:
            mine = [s for s in self.sends if s.survey is survey]
            survey.recipients = len(mine)
            survey.sent_count = sum(s.status == SendStatus.SENT for s in mine)
            survey.skipped_count = sum(s.status == SendStatus.SKIPPED for s in mine)
        Survey.objects.bulk_create([*campaigns, csat, post])
        SurveyResponse.objects.bulk_create(responses, batch_size=2000)
        SurveySend.objects.bulk_create([self._row(s) for s in self.sends], batch_size=2000)
        activities_record_bulk([self._timeline_entry(s) for s in self.sends if s.response is not None])
        ctas = self._alerts([s for s in self.sends if s.response is not None])
        return {"campaigns": len(campaigns), "sends": len(self.sends), "responses": len(responses),
                "follow_up_ctas": ctas}

    def _unsubscribes(self, campaigns: list[Survey]) -> dict[str, datetime]:
        """One contact (never a champion) unsubscribed after the third-latest campaign."""
        if len(campaigns) < 3:
            return {}
        others = [c for c in self.contacts if not c.is_champion and c.role in NPS_ROLES]
        if not others:
            return {}
        contact = self.rng.choice(others)
        at = campaigns[2].started_at + timedelta(days=2)
        Unsubscribe.objects.bulk_create([Unsubscribe(tenant=self.ctx.tenant, email=contact.email, contact=contact,
                                                     created_at=at)])
        return {contact.email.lower(): at}

    def _row(self, send: _Send) -> SurveySend:
        sent = send.status == SendStatus.SENT
        return SurveySend(
            tenant=self.ctx.tenant, survey=send.survey, account_id=send.account_id, contact=send.contact,
            email=send.contact.email, purpose=send.survey.purpose, occasion=send.occasion, status=send.status,
            skip_reason=send.skip_reason, sent_at=send.at if sent else None,
            due_at=send.at if send.survey.purpose == SurveyPurpose.POST_IMPLEMENTATION else None,
            response=send.response, responded_at=send.response.responded_at if send.response else None,
            created_at=min(send.at, self.now) if send.survey.purpose != SurveyPurpose.POST_IMPLEMENTATION
            else min(send.at - timedelta(days=30), self.now),
        )

    def _timeline_entry(self, send: _Send) -> Activity:
        r = send.response
        return Activity(
            account_id=r.account_id, kind=ActivityKind.SYSTEM, occurred_at=r.responded_at, created_at=r.responded_at,
            subject=f"Survey response: {describe(r.kind, r.score)} from {send.contact.name}"[:200], body=r.comment,
            source="advocacy", ref_type="survey_response", ref_id=r.pk,
            metadata={"kind": r.kind, "score": r.score, "category": r.category, "survey": send.survey.name},
        )

    def _alerts(self, answered: list[_Send]) -> int:
        """The follow-up CTAs the response service opens, for the alerts of the last 30 days (each at its time)."""
        opened = 0
        recent = self.now - timedelta(days=ALERT_DAYS)
        for send in answered:
            r = send.response
            if r.responded_at < recent or not math.is_alert(r.kind, r.score):
                continue
            label = describe(r.kind, r.score)
            opened += len(cta_open_bulk(ctas=[Task(
                account_id=r.account_id, owner_id=self.accounts[r.account_id].csm_id,
                title=f"Follow up: {label} from {send.contact.name}"[:200], description=r.comment or "No comment given.",
                priority=TaskPriority.HIGH, source=TaskSource.SYSTEM, created_at=r.responded_at,
                due_date=timezone.localdate(r.responded_at + timedelta(hours=CTA_DUE_HOURS), self.tz),
                dedupe_key=f"{CTA_KEY_PREFIX}{r.pk}",
            )], moment=r.responded_at))
        return opened

