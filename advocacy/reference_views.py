"""Reference program pages: the reference pool (eligible accounts, why or why not per rule, their recent asks,
the reference calls they may still be asked for), asking for a reference (capacity shown first), the requests
board by status (moves by form or HTMX), a contact's willingness, and the account 360 page's panel."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import access_account, access_contact
from accounts.models import Account, Contact
from advocacy import reference_selectors as selectors
from advocacy import reference_services as services
from advocacy.models import ReferenceKind, ReferenceStatus
from advocacy.reference_access import access_reference_request
from advocacy.reference_eligibility import RULE_LABELS, RULES
from advocacy.reference_rules import next_statuses
from base.errors import DomainError
from base.http import safe_next
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.permissions import ACCOUNTS_WRITE

POOL_LIMIT = 200  # eligible accounts listed (the count shows them all)
NEAR_LIMIT = 50  # accounts one rule short


def _rows(frame, asks, champions) -> list[dict]:
    rows = []
    for account_id, r in frame.iterrows():
        rows.append({
            "id": account_id, "name": r["name"], "health_status": r["health_status"],
            "latest_nps": None if r["latest_nps"] != r["latest_nps"] else int(r["latest_nps"]),
            "calls_left": int(r["calls_left"]), "calls_used": int(r["calls_used"]),
            "rules": [{"key": k, "label": RULE_LABELS[k], "ok": r[f"ok_{k}"], "why": r[f"why_{k}"]} for k in RULES],
            "asks": asks.get(account_id, []), "champions": champions.get(account_id, []),
        })
    return rows


@login_required
@tenant_required
def pool(request):
    """Eligible accounts and those one rule short, each rule's verdict, recent asks and capacity left:
    a constant number of queries (facts, calls used, recent asks, champions, settings, bands)."""
    frame = selectors.reference_pool()
    eligible = frame[frame["eligible"]].head(POOL_LIMIT)
    near = frame[frame["failing"] == 1].head(NEAR_LIMIT)
    shown = [*eligible.index, *near.index]
    asks = selectors.recent_asks(shown)
    champions = selectors.champions_of(shown)
    settings_row = selectors.reference_settings()
    return render(request, "advocacy/reference_pool.html", {
        "eligible": _rows(eligible, asks, champions), "near": _rows(near, asks, champions),
        "eligible_count": int(frame["eligible"].sum()), "near_count": int((frame["failing"] == 1).sum()),
        "account_count": len(frame), "settings": settings_row,
        "active_rules": [RULE_LABELS[k] for k in RULES if _rule_on(settings_row, k)],
        "can_write": member_can(request, ACCOUNTS_WRITE), "rule_labels": [RULE_LABELS[k] for k in RULES],
    })


def _rule_on(row, key: str) -> bool:
    return {"nps": row.nps_min is not None, "band": row.require_top_band,
            "tenure": row.min_customer_months is not None, "champion": row.require_willing_champion}[key]


class AskForm(forms.Form):
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), label="Contact to ask")
    kind = forms.ChoiceField(choices=ReferenceKind.choices, label="Kind")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Notes",
                            help_text="What the prospect wants to hear about, the date proposed...")

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(account=account, left_company=False).order_by(
            "-is_champion", "name")
        self.fields["contact"].label_from_instance = lambda c: f"{c.name}{' (champion)' if c.is_champion else ''}"


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_http_methods(["GET", "POST"])
def ask(request, pk: int):
    """Ask an account for a reference; the reference calls it may still be asked for are shown first."""
    account = access_account(pk, principal=request.principal)
    data = request.POST if request.method == "POST" else None
    champion = Contact.objects.filter(account=account, left_company=False, is_champion=True).order_by("name").first()
    form = AskForm(data, account=account, initial={
        "kind": request.GET.get("kind") or ReferenceKind.REFERENCE_CALL, "contact": champion})
    if data is not None and form.is_valid():
        try:
            with transaction.atomic():
                locked = access_account(pk, principal=request.principal, for_write=True)
                services.reference_request_create(account=locked, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"{form.cleaned_data['kind'].replace('_', ' ').capitalize()} requested "
                                      f"from {account.name}.")
            return redirect("references:board")
    return render(request, "advocacy/reference_ask.html", {
        "account": account, "form": form, "capacity": selectors.call_capacity([account.pk])[account.pk],
        "recent": selectors.account_requests(account_id=account.pk, limit=5),
    }, status=400 if data is not None else 200)


def _moves(status: str) -> list[str]:
    """The next statuses, the one that moves the request forward first and declining last."""
    return sorted(next_statuses(status), key=lambda move: move == ReferenceStatus.DECLINED)


@login_required
@tenant_required
def board(request):
    kind = request.GET.get("kind", "")
    kind = kind if kind in ReferenceKind.values else ""
    columns = selectors.requests_board(kind=kind or None)
    counts = selectors.status_counts(kind=kind or None)
    return render(request, "advocacy/reference_board.html", {
        "columns": [{"status": s, "label": label, "count": counts[s],
                     "requests": [{"r": r, "moves": _moves(r.status)} for r in columns[s]]}
                    for s, label in ReferenceStatus.choices],
        "kind": kind, "kinds": ReferenceKind.choices, "can_write": member_can(request, ACCOUNTS_WRITE),
        "status_labels": dict(ReferenceStatus.choices),
    })


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_POST
def request_status(request, pk: int):
    """Move a request (requested -> agreed | declined, agreed -> completed | declined)."""
    status = request.POST.get("status", "")
    changes = {"status": status}
    if request.POST.get("outcome", "").strip():
        changes["outcome"] = request.POST["outcome"].strip()
    try:
        with transaction.atomic():
            locked = access_reference_request(pk, principal=request.principal, for_write=True)
            services.reference_request_update(request=locked, actor=request.user, **changes)
    except DomainError as exc:
        if request.htmx:
            return HttpResponse(str(exc), status=exc.status_code)
        messages.error(request, str(exc))
    else:
        label = dict(ReferenceStatus.choices).get(status, status).lower()
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        messages.success(request, f"{locked.account.name}: {locked.get_kind_display().lower()} {label}.")
    return redirect(safe_next(request, reverse("references:board")))


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_POST
def advocate(request, pk: int):
    """Mark a contact willing (or no longer willing) to advocate, from the pool page."""
    willing = request.POST.get("willing") == "1"
    kinds = [k for k in request.POST.getlist("kinds") if k]
    try:
        with transaction.atomic():
            contact = access_contact(pk, principal=request.principal, for_write=True)
            services.advocate_profile_set(contact=contact, willing=willing, kinds=kinds, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{contact.name} marked {'willing' if willing else 'not willing'} to advocate.")
    return redirect(safe_next(request, reverse("references:pool")))


def account_panel_context(request, account: Account) -> dict:
    """The account page's "References" panel: recent requests, and in one query the reference calls left,
    rewards, reviews and referrals (two queries)."""
    return {
        "account": account, "requests": selectors.account_requests(account_id=account.pk, limit=5),
        **selectors.account_panel_summary(account_id=account.pk), "can_write": member_can(request, ACCOUNTS_WRITE),
    }
