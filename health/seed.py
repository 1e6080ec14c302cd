"""Demo health data for a handbook tenant (called by ``manage.py seed_demo``).

Writes the handbook's scorecard (seeds/README.md), 90 days of usage for the demo accounts (most
steady, some declining to trigger risks, some new and ramping up), CSM sentiments, a competitor
mention or two, four weekly backfilled snapshots (so the trend line shows) and a full recompute
with the risk rules. Everything is bulk-written; a 60-account tenant takes well under a second.
"""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.models import Activity, ActivityKind
from accounts.services import activities_record_bulk
from core.seeding import AGENT_FACTORY, MARKETINGAI_PRO, MODULAR_CS, RAG_FORTRESS, TECHCORP, SeedContext
from health.models import Sentiment
from health.scorecard import component, default_scorecard
from health.scorecard import measure as m
from health.services import recompute_health, scorecard_save, usage_load

GREEN_YELLOW_RED = [
    {"key": "green", "label": "Green", "min_score": 80, "colour": "green"},
    {"key": "yellow", "label": "Yellow", "min_score": 60, "colour": "yellow"},
    {"key": "red", "label": "Red", "min_score": 0, "colour": "red"},
]
TICKETS_PER_SEAT = m("tickets_per_seat", "Tickets per seat", "tickets_per_seat_90d")
SEV12 = m("sev12_tickets", "Sev1/Sev2 tickets (30 days)", "sev12_tickets_30d")
SLA_BREACHES = m("sla_breaches", "SLA breaches (90 days)", "sla_breaches_90d")
SENTIMENT = m("csm_sentiment", "CSM sentiment")
TIME_TO_VALUE = m("time_to_value_days", "Time to value")
# Advocacy's sources (registered by the advocacy app): where a handbook scores satisfaction, NPS or references
# (000 support "resolution satisfaction", growth "NPS, references"; 002 support "volume and satisfaction";
# 003 support "customer satisfaction", relationship "feedback participation, reference willingness"; 004
# relationship "NPS score, referenceability, advocacy, satisfaction"). Reference activity is 0 for most
# accounts (few are asked in a year), so it weighs half a measure: a bonus more than a penalty.
CSAT = m("csat", "CSAT average (90 days)", "csat_average_90d")
NPS = m("nps", "Latest NPS answer", "nps_latest")
REFERENCES = m("references", "Reference activity (12 months)", "reference_activity", weight=0.5)

SCORECARDS: dict[str, dict] = {
    RAG_FORTRESS: {
        "components": [
            component("usage", "Product usage", 40, [
                m("seat_utilisation", "Daily active users / seats"), m("usage_trend", "Activity trend"),
                m("feature_adoption", "Feature adoption"), m("api_calls_trend", "API call volume trend"),
            ]),
            component("support", "Support", 20, [TICKETS_PER_SEAT, SEV12, SLA_BREACHES, CSAT]),
            component("engagement", "Engagement", 20, [
                m("meetings", "QBRs and meetings (90 days)"), m("days_since_last_touch", "Days since last touch"),
            ]),
            # Renewals registers the last two (renewal outlook, open expansion pipeline / ARR).
            component("growth", "Growth", 20, [
                m("seat_growth", "Seat growth"), SENTIMENT, m("renewal_outlook", "Renewal outlook (days, forecast)"),
                m("open_expansion", "Open expansion pipeline / ARR"), NPS, REFERENCES,
            ]),
        ],
        "bands": GREEN_YELLOW_RED,
    },
    MODULAR_CS: {
        "components": [
            component("usage", "Product usage", 40, [
                m("logins_per_user", "Login frequency"), m("feature_adoption", "Feature adoption"),
                m("seat_utilisation", "Seat utilisation"),
            ]),
            component("engagement", "Engagement level", 25, [
                m("meetings", "Meeting participation"), m("days_since_last_touch", "Responsiveness (days since touch)"),
            ]),
            component("business_outcomes", "Business outcomes", 20, [SENTIMENT, TIME_TO_VALUE]),
            component("support", "Support activity", 15, [TICKETS_PER_SEAT, SLA_BREACHES]),
        ],
        "bands": GREEN_YELLOW_RED,
    },
    TECHCORP: {
        "components": [
            component("usage", "Product usage", 40, [
                m("seat_utilisation", "Daily active users"), m("usage_trend", "Usage trend"),
                m("logins_per_user", "Dashboard sessions per user"),
            ]),
            component("feature_adoption", "Feature adoption", 30, [
                m("feature_adoption", "Advanced features used", mapping={"type": "linear", "zero_at": 0, "full_at": 5}),
                m("api_calls_trend", "Integrations (API calls trend)"),
            ]),
            component("support", "Support engagement", 20, [TICKETS_PER_SEAT, SEV12, CSAT]),
            component("business_outcomes", "Business outcomes", 10, [SENTIMENT, TIME_TO_VALUE]),
        ],
        # Handbook: green "> 70", yellow "50-70", red "< 50"; scores have one decimal, so green starts at 70.1.
        "bands": [
            {"key": "green", "label": "Green", "min_score": 70.1, "colour": "green"},
            {"key": "yellow", "label": "Yellow", "min_score": 50, "colour": "yellow"},
            {"key": "red", "label": "Red", "min_score": 0, "colour": "red"},
        ],
    },
    MARKETINGAI_PRO: {
        "components": [
            component("usage", "Usage", 40, [
                m("logins_per_user", "Login frequency"), m("feature_adoption", "Feature adoption"),
                m("usage_trend", "Campaign activity trend"),
            ]),
            component("support", "Support", 20, [SEV12, TICKETS_PER_SEAT, SLA_BREACHES, CSAT]),
            component("business", "Business", 20, [SENTIMENT, TIME_TO_VALUE]),
            component("relationship", "Relationship", 20, [
                m("meetings", "Meeting attendance"), m("champion_present", "Champion in place"),
                m("days_since_last_touch", "Communication frequency"), NPS, REFERENCES,
            ]),
        ],
        "bands": [
            {"key": "healthy", "label": "Healthy", "min_score": 80, "colour": "green"},
            {"key": "at_risk", "label": "At risk", "min_score": 60, "colour": "yellow"},
            {"key": "critical", "label": "Critical", "min_score": 40, "colour": "orange"},
            {"key": "churn_risk", "label": "Churn risk", "min_score": 0, "colour": "red"},
        ],
    },
    AGENT_FACTORY: {
        "components": [
            component("usage", "Product usage", 40, [
                m("api_calls_trend", "Agent runs (API calls trend)"), m("feature_adoption", "Feature adoption"),
                m("logins_per_user", "Login frequency"),
            ]),
            component("engagement", "Engagement", 30, [
                m("meetings", "Training and meetings"), m("days_since_last_touch", "Days since last touch"),
                TICKETS_PER_SEAT,
            ]),
            component("outcomes", "Business outcomes", 20, [SENTIMENT, TIME_TO_VALUE]),
            component("relationship", "Relationship", 10, [
                m("champion_present", "Champion in place"), m("executive_sponsor", "Executive sponsor"),
                NPS, REFERENCES, CSAT,
            ]),
        ],
        "bands": [
            {"key": "healthy", "label": "Healthy", "min_score": 80, "colour": "green"},
            {"key": "at_risk", "label": "At risk", "min_score": 60, "colour": "yellow"},
            {"key": "critical", "label": "Critical", "min_score": 0, "colour": "red"},
        ],
    },
}

FEATURES: dict[str, list[str]] = {
    RAG_FORTRESS: ["search", "chat", "connectors", "sso", "analytics", "api_keys", "workflows", "audit_log"],
    MODULAR_CS: ["dashboards", "playbooks", "surveys", "journeys", "reports", "integrations"],
    TECHCORP: ["dataflow", "intellireports", "techcorp_ai", "dashboards", "alerts", "integrations", "nl_query"],
    MARKETINGAI_PRO: ["campaigns", "content_generation", "analytics", "ab_testing", "audiences", "integrations"],
    AGENT_FACTORY: ["agent_builder", "deployments", "evaluations", "tools", "memory", "observability"],
}
EXTRA_METRICS = {RAG_FORTRESS: ("documents_ingested", "searches")}
DAYS = 90
BACKFILL_WEEKS = 4
# (share of accounts, utilisation at the start, utilisation now, features used)
PROFILES = {
    "steady": (0.55, (0.70, 0.95), (0.70, 0.95), (4, 7)),
    "lukewarm": (0.18, (0.45, 0.65), (0.40, 0.60), (2, 4)),
    "declining": (0.12, (0.70, 0.90), (0.30, 0.50), (3, 5)),
    "dormant": (0.05, (0.15, 0.30), (0.05, 0.20), (0, 2)),
    "growing": (0.10, (0.30, 0.50), (0.75, 0.95), (3, 6)),
}


def scorecard_for(slug: str) -> dict:
    return SCORECARDS.get(slug) or default_scorecard()


def seed_tenant(ctx: SeedContext) -> None:
    tenant = ctx.tenant
    scorecard_save(data=scorecard_for(ctx.slug), recompute=False)
    today = timezone.localdate(timezone=tenant.tzinfo)
    profiles = _assign_profiles(ctx)
    rows = _write_usage(ctx, profiles, today)
    _write_sentiments(ctx, profiles)
    _mention_competitors(ctx, profiles, today)
    ctx.progress(f"health: scorecard, {rows:,} usage rows, sentiments")
    for weeks in range(BACKFILL_WEEKS, 0, -1):
        day = today - timedelta(days=7 * weeks)
        recompute_health(tenant=tenant, as_of=day, computed_at=datetime.combine(day, time(6), tenant.tzinfo),
                         evaluate_risks=False, update_accounts=False)
    outcome = recompute_health(tenant=tenant)
    ctx.progress(f"health: {outcome.accounts} accounts scored ({BACKFILL_WEEKS} weekly snapshots backfilled), "
                 f"{outcome.risks_opened} risk CTAs opened")


def _assign_profiles(ctx: SeedContext) -> dict[int, str]:
    names, weights = list(PROFILES), [p[0] for p in PROFILES.values()]
    profiles = {}
    for account in ctx.accounts:
        if (ctx.today - account.customer_since).days < 75:
            profiles[account.pk] = "growing"  # onboarding: ramping up
        else:
            profiles[account.pk] = ctx.rng.choices(names, weights)[0]
    return profiles


def _write_usage(ctx: SeedContext, profiles: dict[int, str], today) -> int:
    rng, tenant_id = ctx.rng, ctx.tenant.pk
    features = FEATURES.get(ctx.slug) or FEATURES[MODULAR_CS]
    extra = EXTRA_METRICS.get(ctx.slug, ())
    buffer, count = io.StringIO(), 0
    for account in ctx.accounts:
        _, start_range, end_range, feature_range = PROFILES[profiles[account.pk]]
        seats = max(5, int(float(account.arr) / 1000 * rng.uniform(0.25, 0.6)))
        start_util, end_util = rng.uniform(*start_range), rng.uniform(*end_range)
        used = rng.sample(features, min(len(features), rng.randint(*feature_range)))
        logins_per_user, api_per_user = rng.uniform(1.2, 3.0), rng.uniform(10, 60)
        first_day = max(today - timedelta(days=DAYS), account.customer_since)
        span = max((today - first_day).days, 1)
        for offset in range(span):
            day = first_day + timedelta(days=offset)
            progress = offset / span
            # declining accounts fall in the last month; the others move smoothly
            if profiles[account.pk] == "declining":
                util = start_util if progress < 0.6 else start_util + (end_util - start_util) * (progress - 0.6) / 0.4
            else:
                util = start_util + (end_util - start_util) * progress
            weekday = 1.0 if day.weekday() < 5 else 0.35
            active = max(0, round(seats * util * weekday * rng.uniform(0.9, 1.1)))
            stamp = day.isoformat()
            values = {
                "active_users": active, "licensed_seats": seats,
                "logins": round(active * logins_per_user * rng.uniform(0.8, 1.2)),
                "api_calls": round(active * api_per_user * rng.uniform(0.7, 1.3)),
            }
            for metric in extra:
                values[metric] = round(active * rng.uniform(2, 12))
            for name in used:
                if active and rng.random() < 0.75:
                    values[f"feature:{name}"] = max(1, round(active * rng.uniform(0.1, 0.6)))
            for metric, value in values.items():
                buffer.write(f"{tenant_id}\t{account.pk}\t{metric}\t{stamp}\t{value}\n")
            count += len(values)
    buffer.seek(0)
    usage_load(stream=buffer)
    return count


def _write_sentiments(ctx: SeedContext, profiles: dict[int, str]) -> None:
    rng, now, sentiments = ctx.rng, timezone.now(), []
    scores = {"steady": (4, 5), "growing": (4, 5), "lukewarm": (3, 4), "declining": (2, 3), "dormant": (1, 2)}
    notes = {5: "Exec sponsor praised the rollout.", 4: "Team happy; asked about the roadmap.",
             3: "Neutral: adoption stalled in one team.", 2: "Budget pressure; renewal not yet confirmed.",
             1: "Escalation from their VP; considering alternatives."}
    for account in ctx.accounts:
        if rng.random() < 0.45:
            score = rng.randint(*scores[profiles[account.pk]])
            created = now - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 8))
            sentiments.append(Sentiment(
                tenant=ctx.tenant, account=account, score=score, note=notes[score], author=account.csm,
                created_at=created, expires_at=created + timedelta(days=90),
            ))
    Sentiment.objects.bulk_create(sentiments)


def _mention_competitors(ctx: SeedContext, profiles: dict[int, str], today) -> None:
    competitors = ctx.profile.get("competitors") or []
    at_risk = [a for a in ctx.accounts if profiles[a.pk] in {"declining", "dormant"}][:2]
    if not competitors or not at_risk:
        return
    activities_record_bulk([
        Activity(account=account, kind=ActivityKind.CALL, subject="Renewal check-in", author=account.csm,
                 body=f"They mentioned a trial of {ctx.rng.choice(competitors)} in another department.",
                 occurred_at=datetime.combine(today - timedelta(days=ctx.rng.randint(2, 12)), time(15), ctx.tenant.tzinfo))
        for account in at_risk
    ])
