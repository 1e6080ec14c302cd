"""What a CSM's daily digest lists, read for the tenant in context: the accounts needing attention (the "my
book" ranking, ``book_selectors.attention_rows``), open renewals of the next 90 days, their overdue open tasks
and CTAs, open Sev1/Sev2 tickets on their accounts and NPS detractors of the last day, each with an absolute
link (``SITE_URL``). A constant number of queries per CSM (one per section, plus the bands)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import reverse

from accounts.models import Account, AccountStatus, Task, TaskStatus
from advocacy import nps
from advocacy.models import SurveyKind, SurveyResponse
from core.registries.bands import tenant_bands
from dashboards import book_selectors
from dashboards.models import DigestPreference
from tenancy.models import Membership
from tickets.models import Ticket
from tickets.states import UNRESOLVED_STATUSES

ATTENTION_LIMIT = 10
SECTION_LIMIT = 20
DETRACTOR_HOURS = 24


@dataclass(frozen=True)
class DigestItem:
    title: str
    detail: str
    url: str


@dataclass
class DigestSection:
    key: str
    title: str
    items: list[DigestItem] = field(default_factory=list)
    more: bool = False  # some items were left out past the section's limit


@dataclass
class Digest:
    day: date
    sections: list[DigestSection]
    book_url: str
    preferences_url: str

    @property
    def total(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def is_empty(self) -> bool:
        return self.total == 0


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def digest_recipient_ids() -> list[int]:
    """Members of the tenant in context who own at least one active account and have not turned the digest off
    (one query)."""
    owns_book = Account.objects.filter(csm_id=OuterRef("user_id"), status=AccountStatus.ACTIVE)
    opted_out = DigestPreference.objects.filter(user_id=OuterRef("user_id"), daily_digest=False)
    return list(
        Membership.objects.filter(Exists(owns_book), ~Exists(opted_out), user__is_active=True)
        .order_by("user_id").values_list("user_id", flat=True)
    )


def wants_digest(user_id: int) -> bool:
    """Still a member, with a book, and the digest not turned off (checked again when it is sent)."""
    return user_id in set(digest_recipient_ids())


def _section(key: str, title: str, items: list[DigestItem], limit: int = SECTION_LIMIT) -> DigestSection:
    return DigestSection(key=key, title=title, items=items[:limit], more=len(items) > limit)


def _account_url(account_id: int) -> str:
    return absolute(reverse("accounts:detail", args=[account_id]))


def digest_for(*, csm_id: int, today: date, now: datetime) -> Digest:
    """The digest of ``csm_id``'s book on the tenant's local date ``today`` (``now`` bounds "the last day")."""
    bands = tenant_bands()
    attention = book_selectors.attention_rows(csm_id=csm_id, today=today, bottom_band=bands[-1]["key"] if bands else None)
    renewals = book_selectors.my_renewals(csm_id=csm_id, today=today)
    overdue = list(
        Task.objects.filter(owner_id=csm_id, status=TaskStatus.OPEN, due_date__lt=today)
        .select_related("account").order_by("due_date", "id")[:SECTION_LIMIT + 1]
    )
    tickets = list(
        Ticket.objects.filter(account__csm_id=csm_id, status__in=UNRESOLVED_STATUSES,
                              severity__in=book_selectors.URGENT_SEVERITIES)
        .select_related("account").order_by("severity", "opened_at", "id")[:SECTION_LIMIT + 1]
    )
    detractors = list(
        SurveyResponse.objects.filter(account__csm_id=csm_id, kind=SurveyKind.NPS, score__lt=nps.PASSIVE_MIN,
                                      responded_at__gt=now - timedelta(hours=DETRACTOR_HOURS))
        .select_related("account", "contact").order_by("-responded_at", "id")[:SECTION_LIMIT + 1]
    )
    sections = [
        _section("attention", "Accounts needing attention", [
            DigestItem(row.name, ", ".join(reason for reason, _ in row.reasons), _account_url(row.account_id))
            for row in attention
        ], limit=ATTENTION_LIMIT),
        _section("renewals", f"Renewals in the next {book_selectors.HORIZON_DAYS} days", [
            DigestItem(r.account.name, f"contract ends {r.contract_end.isoformat()}, ARR {r.arr:,.2f}, "
                                       f"forecast {r.get_forecast_display().lower()}",
                       absolute(reverse("renewals:detail", args=[r.pk])))
            for r in renewals
        ]),
        _section("overdue", "Overdue tasks and CTAs", [
            DigestItem(t.title, f"{t.account.name}, due {t.due_date.isoformat()} "
                                f"({(today - t.due_date).days} day{'s' if (today - t.due_date).days != 1 else ''} late)",
                       absolute(reverse("accounts:tasks", args=[t.account_id])))
            for t in overdue
        ]),
        _section("tickets", "Open Sev1/Sev2 tickets", [
            DigestItem(f"#{t.number} {t.subject}", f"{t.account.name}, Sev{t.severity}, {t.get_status_display().lower()}",
                       absolute(reverse("tickets:detail", args=[t.pk])))
            for t in tickets
        ]),
        _section("detractors", "NPS detractors in the last day", [
            DigestItem(f"{r.account.name}: NPS {r.score}",
                       (f"{r.contact.name}: " if r.contact else "") + (r.comment[:200] or "no comment"),
                       _account_url(r.account_id))
            for r in detractors
        ]),
    ]
    return Digest(day=today, sections=sections, book_url=absolute(reverse("dashboards:my_book")),
                  preferences_url=absolute(reverse("dashboards:digest_preferences")))
