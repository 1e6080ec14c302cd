"""``/api/v1/references/`` (API.md "Surveys and advocacy"): reference requests, list / create / get / patch /
delete, filters ``?account=``, ``?kind=``, ``?status=``; ``GET /api/v1/references/capacity/?account=`` (the
yearly reference-call capacity left, shown before asking); ``GET /api/v1/references/pool/`` (eligibility,
why or why not per rule); ``/api/v1/reference-settings/`` (the cap, the
eligibility rules, the case-study target); ``POST /api/v1/advocates/`` (a contact's willingness).

Fields: API.md's ``account``, ``contact``, ``kind``, ``status``, ``requested_at``, plus ``id``, ``notes``,
``requested_by`` (email, read-only), ``completed_at``, ``outcome``, ``created_at``, ``updated_at``.
"""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_account, access_contact
from accounts.models import Account, Contact
from advocacy import reference_selectors as selectors
from advocacy import reference_services as services
from advocacy.models import ReferenceKind, ReferenceRequest, ReferenceStatus
from advocacy.reference_access import access_reference_request
from advocacy.reference_eligibility import RULES
from advocacy.reference_rules import cap_window
from base.errors import InvalidTransition
from core.api.fields import TenantPrimaryKeyRelatedField
from core.api.schema import OBJECT_READ_ERRORS, OBJECT_WRITE_ERRORS, READ_ERRORS, WRITE_ERRORS
from core.api.viewsets import TenantModelViewSet, TenantScopedMixin
from tenancy.permissions import ACCOUNTS_WRITE, ADVOCACY_CONFIGURE
from tenancy.principal import principal_of

CONFLICT = OpenApiResponse(description="A status move the request cannot make (declined and completed are final).")
CAP_HELP = (
    "A `reference_call` (not declined) is 400 naming `account` when the account already has the tenant's yearly "
    "cap of reference calls, not declined, requested in the 365 days before its `requested_at` (a call "
    "requested exactly 365 days before counts; a back-dated request does not see later calls)."
)


class ReferenceRequestSerializer(serializers.ModelSerializer):
    account = TenantPrimaryKeyRelatedField(model=Account)
    contact = TenantPrimaryKeyRelatedField(model=Contact, help_text="One of the account's contacts.")
    kind = serializers.ChoiceField(choices=ReferenceKind.choices)
    status = serializers.ChoiceField(choices=ReferenceStatus.choices, required=False)
    requested_at = serializers.DateTimeField(required=False, help_text="Defaults to now; never in the future.")
    requested_by = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)
    completed_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Set when the request is completed (defaults to then)."
    )

    class Meta:
        model = ReferenceRequest
        fields = [
            "id", "account", "contact", "kind", "status", "requested_at", "notes", "requested_by", "completed_at",
            "outcome", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "requested_by", "created_at", "updated_at"]

    def create(self, validated_data):
        view = self.context["view"]
        with transaction.atomic():
            account = access_account(validated_data.pop("account").pk, principal=principal_of(view.request))
            return services.reference_request_create(account=account, actor=view.acting_user, **validated_data)

    def update(self, instance, validated_data):
        view = self.context["view"]
        if validated_data.get("completed_at", 0) is None:
            validated_data.pop("completed_at")
        with transaction.atomic():
            locked = access_reference_request(instance.pk, principal=principal_of(view.request), for_write=True)
            return services.reference_request_update(request=locked, actor=view.acting_user, **validated_data)


class ReferenceRequestFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id", label="Account id")
    kind = django_filters.ChoiceFilter(choices=ReferenceKind.choices)
    status = django_filters.ChoiceFilter(choices=ReferenceStatus.choices)

    class Meta:
        model = ReferenceRequest
        fields = ["account", "kind", "status"]


@extend_schema_view(
    list=extend_schema(summary="List reference requests", responses={200: ReferenceRequestSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Ask an account for a reference",
                         description=CAP_HELP + " A request may be recorded in any status (e.g. a past completed "
                                                "one, which writes the account's timeline).",
                         responses={201: ReferenceRequestSerializer, **WRITE_ERRORS}),
    retrieve=extend_schema(responses={200: ReferenceRequestSerializer, **OBJECT_READ_ERRORS}),
    partial_update=extend_schema(
        summary="Move or edit a reference request",
        description="Status moves: requested -> agreed | declined, agreed -> completed | declined; declined and "
                    "completed are final (409). Completing stamps `completed_at` and writes the account's "
                    "timeline. `account`, `kind` and `requested_at` cannot change (400).",
        responses={200: ReferenceRequestSerializer, 409: CONFLICT, **OBJECT_WRITE_ERRORS},
    ),
    destroy=extend_schema(summary="Withdraw a reference request (not a completed one: 409)",
                          responses={204: None, 409: CONFLICT, **OBJECT_WRITE_ERRORS}),
)
class ReferenceRequestViewSet(TenantModelViewSet):
    """Reference requests: case studies, testimonials, reference calls, webinars, reviews."""

    serializer_class = ReferenceRequestSerializer
    filterset_class = ReferenceRequestFilter
    write_capability = ACCOUNTS_WRITE

    def get_base_queryset(self):
        return selectors.requests_for_api()

    def perform_destroy(self, instance):
        with transaction.atomic():
            locked = access_reference_request(instance.pk, principal=principal_of(self.request), for_write=True)
            if locked.status == ReferenceStatus.COMPLETED:
                raise InvalidTransition("A completed request is on the account's timeline: it stays.", field="status")
            locked.delete()


class CapacitySerializer(serializers.Serializer):
    account = serializers.IntegerField()
    cap = serializers.IntegerField(help_text="The tenant's yearly cap of reference calls per account.")
    used = serializers.IntegerField(help_text="Reference calls not declined in the window.")
    remaining = serializers.IntegerField()
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()


class CapacityView(TenantScopedMixin, APIView):
    @extend_schema(
        summary="Reference calls an account may still be asked for",
        description="The yearly cap, the calls counted and what remains for a call requested at `at` (default now).",
        parameters=[
            OpenApiParameter("account", int, required=True),
            OpenApiParameter("at", OpenApiTypes.DATETIME, description="When the call would be requested (default now)."),
        ],
        responses={200: CapacitySerializer, **OBJECT_READ_ERRORS, 400: WRITE_ERRORS[400]},
    )
    def get(self, request):
        params = _CapacityQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        account = access_account(params.validated_data["account"], principal=principal_of(request))
        at = params.validated_data.get("at") or timezone.now()
        capacity = selectors.call_capacity([account.pk], at=at)[account.pk]
        start, end = cap_window(at)
        return Response(CapacitySerializer(
            {"account": account.pk, **capacity, "window_start": start, "window_end": end}).data)


class _CapacityQuery(serializers.Serializer):
    account = serializers.IntegerField()
    at = serializers.DateTimeField(required=False)


# --- settings ---------------------------------------------------------------------------------------


class ReferenceSettingsSerializer(serializers.Serializer):
    yearly_call_cap = serializers.IntegerField(help_text="Reference calls per account in 365 days (default 3).")
    nps_min = serializers.IntegerField(allow_null=True, help_text="Eligibility: latest NPS at least (null: off).")
    require_top_band = serializers.BooleanField(help_text="Eligibility: health in the top band.")
    min_customer_months = serializers.IntegerField(allow_null=True, help_text="Eligibility: months as a customer.")
    require_willing_champion = serializers.BooleanField(help_text="Eligibility: an active champion marked willing.")
    case_study_quarterly_target = serializers.IntegerField(help_text="Case studies to publish each quarter.")


class ReferenceSettingsPatchSerializer(serializers.Serializer):
    yearly_call_cap = serializers.JSONField(required=False)
    nps_min = serializers.JSONField(required=False)
    require_top_band = serializers.JSONField(required=False)
    min_customer_months = serializers.JSONField(required=False)
    require_willing_champion = serializers.JSONField(required=False)
    case_study_quarterly_target = serializers.JSONField(required=False)


class ReferenceSettingsView(TenantScopedMixin, APIView):
    """The tenant's reference program settings."""

    write_capability = ADVOCACY_CONFIGURE

    @extend_schema(responses={200: ReferenceSettingsSerializer, **READ_ERRORS}, summary="Reference program settings")
    def get(self, request):
        return Response(ReferenceSettingsSerializer(selectors.reference_settings()).data)

    @extend_schema(request=ReferenceSettingsPatchSerializer, responses={200: ReferenceSettingsSerializer, **WRITE_ERRORS},
                   summary="Change the cap, the eligibility rules or the case-study target")
    def patch(self, request):
        serializer = ReferenceSettingsPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = services.reference_settings_update(actor=self.acting_user, **serializer.validated_data)
        return Response(ReferenceSettingsSerializer(row).data)


# --- willingness ------------------------------------------------------------------------------------


class AdvocateSerializer(serializers.Serializer):
    contact = serializers.IntegerField()
    willing = serializers.BooleanField()
    willing_since = serializers.DateField(required=False, allow_null=True)
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=ReferenceKind.choices), required=False)
    notes = serializers.CharField(required=False, allow_blank=True)


class AdvocateView(TenantScopedMixin, APIView):
    """Mark a contact willing (or not) to advocate, with the kinds they agreed to."""

    write_capability = ACCOUNTS_WRITE

    @extend_schema(request=AdvocateSerializer, responses={200: AdvocateSerializer, **OBJECT_WRITE_ERRORS},
                   summary="Set a contact's willingness to advocate")
    def post(self, request):
        serializer = AdvocateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with transaction.atomic():
            contact = access_contact(data.pop("contact"), principal=principal_of(request), for_write=True)
            profile = services.advocate_profile_set(contact=contact, actor=self.acting_user, **data)
        return Response(AdvocateSerializer({
            "contact": contact.pk, "willing": profile.willing, "willing_since": profile.willing_since,
            "kinds": profile.kinds, "notes": profile.notes,
        }).data)


# --- the reference pool -----------------------------------------------------------------------------


class RuleVerdictSerializer(serializers.Serializer):
    ok = serializers.BooleanField(allow_null=True, help_text="Null when the tenant switched the rule off.")
    why = serializers.CharField()


class PoolRowSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    name = serializers.CharField()
    eligible = serializers.BooleanField()
    failing = serializers.IntegerField(help_text="How many rules that are on the account fails.")
    calls_left = serializers.IntegerField(help_text="Reference calls it may still be asked for now.")
    rules = serializers.DictField(child=RuleVerdictSerializer(), help_text="nps, band, tenure, champion.")


class PoolSerializer(serializers.Serializer):
    accounts = serializers.IntegerField(help_text="Active accounts evaluated.")
    eligible = serializers.IntegerField()
    results = PoolRowSerializer(many=True)


class _PoolQuery(serializers.Serializer):
    eligible = serializers.BooleanField(required=False, default=True)
    limit = serializers.IntegerField(required=False, default=200, min_value=1, max_value=1000)


class PoolView(TenantScopedMixin, APIView):
    @extend_schema(
        summary="The reference pool: eligibility of every active account, why or why not per rule",
        parameters=[
            OpenApiParameter("eligible", bool, description="Only eligible accounts (default) or only the others."),
            OpenApiParameter("limit", int, description="Rows at most (1-1000, default 200), by account name."),
        ],
        responses={200: PoolSerializer, **READ_ERRORS, 400: WRITE_ERRORS[400]},
    )
    def get(self, request):
        params = _PoolQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        pool = selectors.reference_pool()
        rows = pool[pool["eligible"] == params.validated_data["eligible"]].head(params.validated_data["limit"])
        return Response(PoolSerializer({
            "accounts": len(pool), "eligible": int(pool["eligible"].sum()),
            "results": [
                {"account": int(pk), "name": r["name"], "eligible": bool(r["eligible"]), "failing": int(r["failing"]),
                 "calls_left": int(r["calls_left"]),
                 "rules": {k: {"ok": None if r[f"ok_{k}"] is None else bool(r[f"ok_{k}"]), "why": r[f"why_{k}"]}
                           for k in RULES}}
                for pk, r in rows.iterrows()
            ],
        }).data)
