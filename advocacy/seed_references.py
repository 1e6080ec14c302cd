"""The reference program's demo data (called by ``advocacy.seed`` once the survey history exists).

The accounts the tenant's eligibility rules already like (latest NPS a promoter's, top band, 12+ months) get
their champion marked willing; two accounts one rule short get a willing champion too, and one champion said
no. Then requests in every status and kind (one account's reference calls one short of the yearly cap, with
a declined call that does not count), rewards for the completed ones, a case-study pipeline with a study in
each stage (one published this quarter, one last quarter), two reviews (G2, Capterra) and a referral. Each
completion, reward, publication, review and referral has the timeline entry its service writes.

Idempotent: a tenant with any reference request, advocate profile or case study gets nothing more.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Account, Activity, ActivityKind, Contact
from accounts.services import activities_record_bulk
from advocacy import reference_selectors as selectors
from advocacy.models import (
    AdvocacyActivity,
    AdvocacyActivityKind,
    AdvocacySource,
    AdvocateProfile,
    CaseStudy,
    CaseStudyStage,
    ReferenceKind,
    ReferenceRequest,
    ReferenceReward,
    ReferenceStatus,
    RewardKind,
)
from advocacy.reference_rules import quarter_bounds
from core.seeding import SeedContext

WILLING = 5
SOURCE = "advocacy"
K, S = ReferenceKind, ReferenceStatus
# (account slot, kind, status, requested days ago, days to complete, note, outcome)
REQUESTS = [
    (0, K.REFERENCE_CALL, S.COMPLETED, 300, 6, "Prospect in the same industry, 500 seats.", "Prospect signed."),
    (0, K.REFERENCE_CALL, S.COMPLETED, 140, 5, "Security questions from a bank's CISO.", "Moved to procurement."),
    (0, K.REFERENCE_CALL, S.DECLINED, 70, None, "Asked during their busy season.", ""),
    (1, K.CASE_STUDY, S.COMPLETED, 160, 30, "Results after one year: time saved, adoption.", "Interview done."),
    (1, K.TESTIMONIAL, S.REQUESTED, 4, None, "One quote for the website's customer page.", ""),
    (2, K.WEBINAR, S.AGREED, 18, None, "Customer panel in next month's webinar.", ""),
    (2, K.REVIEW, S.COMPLETED, 50, 6, "A G2 review after their renewal.", "Review posted."),
    (1, K.REFERENCE_CALL, S.REQUESTED, 2, None, "Enterprise prospect evaluating two vendors.", ""),
    (3, K.TESTIMONIAL, S.DECLINED, 100, None, "Legal does not allow public quotes.", ""),
]
REWARDS = {  # request index -> (kind, description, value)
    0: (RewardKind.GIFT, "Executive swag box", Decimal("150")),
    1: (RewardKind.RECOGNITION, "Customer spotlight in the newsletter", Decimal("0")),
    3: (RewardKind.RENEWAL_CREDIT, "Renewal credit for the case study", Decimal("2500")),
    6: (RewardKind.GIFT, "Gift card for the G2 review", Decimal("50")),
}
OUTCOMES = ["cut search time by 80%", "rolled out to 1,200 users in six weeks", "saved two analysts per team",
            "doubled adoption in a quarter", "replaced three legacy tools"]
# (stage, account slot, days since the stage changed); the published ones are placed by quarter below.
PIPELINE = [(CaseStudyStage.IDENTIFIED, 3, 6), (CaseStudyStage.INTERVIEW, 2, 12), (CaseStudyStage.DRAFT, 0, 20),
            (CaseStudyStage.CUSTOMER_REVIEW, 4, 9), (CaseStudyStage.APPROVED, 2, 3)]


def seed_tenant(ctx: SeedContext, rng: random.Random) -> dict[str, int]:
    if ReferenceRequest.objects.exists() or AdvocateProfile.objects.exists() or CaseStudy.objects.exists():
        return {}
    pool = selectors.reference_pool(today=ctx.today)
    if pool.empty:
        return {}
    others = pool[["ok_nps", "ok_band", "ok_tenure"]].fillna(True).astype(bool)
    liked = [int(pk) for pk in pool.index[others.all(axis=1)]]
    near = [int(pk) for pk in pool.index[others.sum(axis=1) == 2]]
    chosen = rng.sample(liked, min(WILLING, len(liked))) + rng.sample(near, min(2, len(near)))
    champions = {}
    for contact in Contact.objects.filter(account_id__in=chosen, is_champion=True, left_company=False).order_by("pk"):
        champions.setdefault(contact.account_id, contact)
    slots = [pk for pk in chosen if pk in champions]
    if not slots:
        return {}
    accounts = Account.objects.in_bulk(slots)
    now, tz = timezone.now(), ctx.tenant.tzinfo
    writer = _Writer(ctx, rng, now, tz, [(accounts[pk], champions[pk]) for pk in slots])
    writer.profiles(refusing=Contact.objects.filter(is_champion=True, left_company=False)
                    .exclude(account_id__in=slots).order_by("pk").first())
    writer.requests()
    writer.case_studies()
    writer.reviews()
    activities_record_bulk(writer.timeline)
    return writer.counts


class _Writer:
    def __init__(self, ctx, rng, now, tz, advocates: list[tuple[Account, Contact]]):
        self.ctx, self.rng, self.now, self.tz, self.advocates = ctx, rng, now, tz, advocates
        self.timeline: list[Activity] = []
        self.counts: dict[str, int] = {}
        self.requests_by_index: dict[int, ReferenceRequest] = {}

    def slot(self, i: int) -> tuple[Account, Contact]:
        return self.advocates[i % len(self.advocates)]

    def note(self, account: Account, at: datetime, subject: str, body: str, ref_type: str, ref_id: int, **meta) -> None:
        self.timeline.append(Activity(
            account=account, kind=ActivityKind.SYSTEM, subject=subject[:200], body=body, occurred_at=at,
            created_at=at, source=SOURCE, ref_type=ref_type, ref_id=ref_id, metadata=meta,
        ))

    def profiles(self, refusing: Contact | None) -> None:
        rows = [
            AdvocateProfile(tenant=self.ctx.tenant, contact=contact, willing=True,
                            willing_since=self.ctx.today - timedelta(days=self.rng.randint(90, 400)),
                            kinds=self.rng.sample([K.REFERENCE_CALL, K.CASE_STUDY, K.TESTIMONIAL, K.REVIEW, K.WEBINAR], 3),
                            notes="Happy to help with prospects in their industry.")
            for _, contact in self.advocates
        ]
        if refusing is not None:
            rows.append(AdvocateProfile(tenant=self.ctx.tenant, contact=refusing, willing=False,
                                        notes="Company policy: no public references."))
        AdvocateProfile.objects.bulk_create(rows)
        self.counts["willing advocates"] = len(self.advocates)

    def requests(self) -> None:
        rows = []
        for slot, kind, status, days_ago, to_complete, notes, outcome in REQUESTS:
            account, contact = self.slot(slot)
            at = self.now - timedelta(days=days_ago, hours=self.rng.randint(0, 6))
            done = at + timedelta(days=to_complete) if status == S.COMPLETED else None
            rows.append(ReferenceRequest(
                tenant=self.ctx.tenant, account=account, contact=contact, kind=kind, status=status, requested_at=at,
                notes=notes, outcome=outcome, requested_by_id=account.csm_id, completed_at=done, created_at=at,
            ))
        ReferenceRequest.objects.bulk_create(rows)
        rewards = []
        for i, request in enumerate(rows):
            self.requests_by_index[i] = request
            if request.status != S.COMPLETED:
                continue
            self.note(request.account, request.completed_at, f"{request.get_kind_display()} completed",
                      f"{request.contact.name} completed a {request.get_kind_display().lower()}. Outcome: {request.outcome}",
                      "reference_request", request.pk, kind=request.kind, contact_id=request.contact_id)
            if i in REWARDS:
                kind, description, value = REWARDS[i]
                rewards.append(ReferenceReward(
                    tenant=self.ctx.tenant, account=request.account, contact=request.contact, request=request,
                    kind=kind, description=description, value=value, recorded_by_id=request.account.csm_id,
                    given_on=min(self.ctx.today, timezone.localdate(request.completed_at, self.tz) + timedelta(days=3)),
                ))
        ReferenceReward.objects.bulk_create(rewards)
        for reward in rewards:
            self.note(reward.account, datetime.combine(reward.given_on, time(11), self.tz), "Reference reward given",
                      f"{reward.get_kind_display()}: {reward.description} ({reward.value}) to {reward.contact.name}.",
                      "reference_reward", reward.pk)
        self.counts.update({"requests": len(rows), "rewards": len(rewards)})

    def case_studies(self) -> None:
        start, _ = quarter_bounds(self.ctx.today)
        this_quarter = max(datetime.combine(start, time.min, self.tz), self.now - timedelta(days=10))
        last_quarter = datetime.combine(start - timedelta(days=35), time(10), self.tz)
        plan = [(CaseStudyStage.PUBLISHED, 1, this_quarter, self.requests_by_index[3]),
                (CaseStudyStage.PUBLISHED, 0, last_quarter, None)]
        plan += [(stage, slot, self.now - timedelta(days=days), None) for stage, slot, days in PIPELINE]
        rows = []
        for n, (stage, slot, changed, request) in enumerate(plan):
            account, contact = self.slot(slot)
            published = stage == CaseStudyStage.PUBLISHED
            rows.append(CaseStudy(
                tenant=self.ctx.tenant, account=account, contact=contact, request=request, owner_id=account.csm_id,
                title=f"How {account.name} {OUTCOMES[n % len(OUTCOMES)]}", stage=stage, stage_changed_at=changed,
                published_at=changed if published else None, created_at=changed - timedelta(days=45),
                url=f"https://{self.ctx.profile['domain']}/customers/{account.name.lower().replace(' ', '-')}"
                if published else "",
            ))
        CaseStudy.objects.bulk_create(rows)
        for study in rows:
            if study.stage == CaseStudyStage.PUBLISHED:
                self.note(study.account, study.published_at, "Case study published",
                          f"“{study.title}” was published. {study.url}", "case_study", study.pk)
        self.counts["case studies"] = len(rows)

    def reviews(self) -> None:
        review_request = self.requests_by_index[6]
        plan = [
            (2, AdvocacyActivityKind.REVIEW, AdvocacySource.G2, review_request.completed_at, Decimal("4.5"),
             review_request, "", "Praised search quality and support."),
            (1, AdvocacyActivityKind.REVIEW, AdvocacySource.CAPTERRA, self.now - timedelta(days=30), Decimal("5.0"),
             None, "", "Five stars, mentions the onboarding."),
            (0, AdvocacyActivityKind.REFERRAL, AdvocacySource.REFERRAL, self.now - timedelta(days=45), None, None,
             "Northwind Traders", "Introduced their sister company's COO."),
        ]
        rows = []
        for slot, kind, source, at, rating, request, referred, notes in plan:
            account, contact = self.slot(slot)
            rows.append(AdvocacyActivity(
                tenant=self.ctx.tenant, account=account, contact=contact, request=request, kind=kind, source=source,
                occurred_on=timezone.localdate(at, self.tz), rating=rating, referred_company=referred, notes=notes,
                url=f"https://www.{source}.com/reviews/{self.ctx.slug}" if kind == AdvocacyActivityKind.REVIEW else "",
                recorded_by_id=account.csm_id, created_at=at,
            ))
        AdvocacyActivity.objects.bulk_create(rows)
        for row in rows:
            subject = (f"Review on {AdvocacySource(row.source).label}" if row.kind == AdvocacyActivityKind.REVIEW
                       else "Referral given")
            body = ((f"Rated {row.rating}/5. " if row.rating is not None else "")
                    + (f"Referred {row.referred_company}. " if row.referred_company else "") + row.notes)
            self.note(row.account, row.created_at, subject, body, "advocacy_activity", row.pk)
        self.counts.update({"reviews": 2, "referrals": 1})
