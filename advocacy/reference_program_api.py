"""The rest of the reference program's API, under /api/v1/:

* ``/reference-rewards/``: the rewards ledger (list, add, get; a ledger is never edited), ``?account=``;
* ``/case-studies/``: the pipeline (list, add, get, patch the stage and details), ``?account=``, ``?stage=``;
  ``GET /case-studies/progress/``: published this quarter against the tenant's quarterly target;
* ``/advocacy-activities/``: reviews and referrals with their source (list, add, get), ``?kind=``,
  ``?source=``, ``?account=``.
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_account
from accounts.models import Account, Contact
from advocacy import reference_program_services as services
from advocacy import reference_selectors as selectors
from advocacy.models import (
    AdvocacyActivity,
    AdvocacyActivityKind,
    AdvocacySource,
    CaseStudy,
    CaseStudyStage,
    ReferenceRequest,
    ReferenceReward,
    RewardKind,
)
from advocacy.reference_access import access_case_study
from core.api.fields import TenantPrimaryKeyRelatedField, TenantUserEmailField
from core.api.schema import OBJECT_READ_ERRORS, OBJECT_WRITE_ERRORS, READ_ERRORS, WRITE_ERRORS
from core.api.viewsets import TenantCreateListRetrieveViewSet, TenantModelViewSet, TenantScopedMixin
from tenancy.permissions import ACCOUNTS_WRITE
from tenancy.principal import principal_of


@extend_schema_field({"type": "string", "format": "email", "nullable": True})
class MemberEmailField(TenantUserEmailField):
    pass


def _create(serializer, service, **extra):
    view = serializer.context["view"]
    data = dict(serializer.validated_data)
    with transaction.atomic():
        account = access_account(data.pop("account").pk, principal=principal_of(view.request), for_write=True)
        return service(account=account, actor=view.acting_user, **data, **extra)


class _AccountFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id", label="Account id")


# --- rewards ----------------------------------------------------------------------------------------


class RewardSerializer(serializers.ModelSerializer):
    account = TenantPrimaryKeyRelatedField(model=Account)
    contact = TenantPrimaryKeyRelatedField(model=Contact, required=False, allow_null=True)
    request = TenantPrimaryKeyRelatedField(model=ReferenceRequest, required=False, allow_null=True,
                                           help_text="The reference request rewarded.")
    kind = serializers.ChoiceField(choices=RewardKind.choices)
    value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                     max_value=services.MAX_VALUE, required=False, help_text="What it is worth.")
    given_on = serializers.DateField(required=False, help_text="Defaults to today; never in the future.")
    recorded_by = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)

    class Meta:
        model = ReferenceReward
        fields = ["id", "account", "contact", "request", "kind", "description", "value", "given_on", "recorded_by",
                  "created_at"]
        read_only_fields = ["id", "recorded_by", "created_at"]

    def create(self, validated_data):
        return _create(self, services.reward_record)


class RewardFilter(_AccountFilter):
    kind = django_filters.ChoiceFilter(choices=RewardKind.choices)

    class Meta:
        model = ReferenceReward
        fields = ["account", "kind"]


@extend_schema_view(
    list=extend_schema(summary="The rewards ledger", responses={200: RewardSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Record a reward given", responses={201: RewardSerializer, **WRITE_ERRORS}),
    retrieve=extend_schema(responses={200: RewardSerializer, **OBJECT_READ_ERRORS}),
)
class RewardViewSet(TenantCreateListRetrieveViewSet):
    """Rewards given to advocates: what, when, its value, to whom, for which request."""

    serializer_class = RewardSerializer
    filterset_class = RewardFilter
    write_capability = ACCOUNTS_WRITE

    def get_base_queryset(self):
        return selectors.rewards_for_api()


# --- case studies -----------------------------------------------------------------------------------


class CaseStudySerializer(serializers.ModelSerializer):
    account = TenantPrimaryKeyRelatedField(model=Account)
    contact = TenantPrimaryKeyRelatedField(model=Contact, required=False, allow_null=True)
    request = TenantPrimaryKeyRelatedField(model=ReferenceRequest, required=False, allow_null=True)
    stage = serializers.ChoiceField(choices=CaseStudyStage.choices, required=False)
    owner = MemberEmailField(required=False, allow_null=True, help_text="Email; defaults to the account's CSM.")

    class Meta:
        model = CaseStudy
        fields = ["id", "account", "contact", "request", "title", "stage", "owner", "url", "notes",
                  "stage_changed_at", "published_at", "created_at", "updated_at"]
        read_only_fields = ["id", "stage_changed_at", "published_at", "created_at", "updated_at"]

    def create(self, validated_data):
        return _create(self, services.case_study_create)

    def update(self, instance, validated_data):
        for fixed in ("account", "request"):
            value = validated_data.pop(fixed, None)
            if value is not None and value.pk != getattr(instance, f"{fixed}_id"):
                raise serializers.ValidationError({fixed: ["A case study keeps its account and request."]})
        view = self.context["view"]
        with transaction.atomic():
            locked = access_case_study(instance.pk, principal=principal_of(view.request), for_write=True)
            return services.case_study_update(study=locked, actor=view.acting_user, **validated_data)


class CaseStudyFilter(_AccountFilter):
    stage = django_filters.ChoiceFilter(choices=CaseStudyStage.choices)

    class Meta:
        model = CaseStudy
        fields = ["account", "stage"]


@extend_schema_view(
    list=extend_schema(summary="The case-study pipeline", responses={200: CaseStudySerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add a case study", responses={201: CaseStudySerializer, **WRITE_ERRORS}),
    retrieve=extend_schema(responses={200: CaseStudySerializer, **OBJECT_READ_ERRORS}),
    partial_update=extend_schema(
        summary="Move or edit a case study",
        description="Stages: identified, interview, draft, customer_review, approved, published. Publishing "
                    "stamps `published_at` (progress to the quarterly target) and writes the account's timeline.",
        responses={200: CaseStudySerializer, **OBJECT_WRITE_ERRORS}),
)
class CaseStudyViewSet(TenantModelViewSet):
    serializer_class = CaseStudySerializer
    filterset_class = CaseStudyFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    write_capability = ACCOUNTS_WRITE

    def get_base_queryset(self):
        return selectors.case_studies_for_api()


class ProgressSerializer(serializers.Serializer):
    quarter_start = serializers.DateField()
    quarter_end = serializers.DateField(help_text="The first day of the next quarter.")
    published = serializers.IntegerField()
    target = serializers.IntegerField()
    percent = serializers.IntegerField(allow_null=True, help_text="Of the target (null without a target).")
    to_go = serializers.IntegerField()


class CaseStudyProgressView(TenantScopedMixin, APIView):
    @extend_schema(summary="Case studies published this quarter against the target",
                   responses={200: ProgressSerializer, **READ_ERRORS})
    def get(self, request):
        return Response(ProgressSerializer(selectors.case_study_progress()).data)


# --- reviews and referrals --------------------------------------------------------------------------


class AdvocacyActivitySerializer(serializers.ModelSerializer):
    account = TenantPrimaryKeyRelatedField(model=Account)
    contact = TenantPrimaryKeyRelatedField(model=Contact, required=False, allow_null=True)
    request = TenantPrimaryKeyRelatedField(model=ReferenceRequest, required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=AdvocacyActivityKind.choices)
    source = serializers.ChoiceField(choices=AdvocacySource.choices)
    occurred_on = serializers.DateField(required=False)
    rating = serializers.DecimalField(max_digits=2, decimal_places=1, min_value=Decimal("0"), max_value=Decimal("5"),
                                      required=False, allow_null=True)
    recorded_by = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)

    class Meta:
        model = AdvocacyActivity
        fields = ["id", "account", "contact", "request", "kind", "source", "occurred_on", "rating", "url",
                  "referred_company", "notes", "recorded_by", "created_at"]
        read_only_fields = ["id", "recorded_by", "created_at"]

    def create(self, validated_data):
        return _create(self, services.advocacy_activity_record)


class AdvocacyActivityFilter(_AccountFilter):
    kind = django_filters.ChoiceFilter(choices=AdvocacyActivityKind.choices)
    source = django_filters.ChoiceFilter(choices=AdvocacySource.choices)

    class Meta:
        model = AdvocacyActivity
        fields = ["account", "kind", "source"]


@extend_schema_view(
    list=extend_schema(summary="Reviews and referrals", responses={200: AdvocacyActivitySerializer, **READ_ERRORS}),
    create=extend_schema(summary="Record a review or a referral with its source",
                         responses={201: AdvocacyActivitySerializer, **WRITE_ERRORS}),
    retrieve=extend_schema(responses={200: AdvocacyActivitySerializer, **OBJECT_READ_ERRORS}),
)
class AdvocacyActivityViewSet(TenantCreateListRetrieveViewSet):
    serializer_class = AdvocacyActivitySerializer
    filterset_class = AdvocacyActivityFilter
    write_capability = ACCOUNTS_WRITE

    def get_base_queryset(self):
        return selectors.activities_for_api()
