"""``/api/v1/opportunities/`` (list, create, get, patch; filters ``?account=``, ``?stage=``, ``?kind=``) and
``GET /api/v1/opportunities/pipeline/`` (the weighted pipeline by stage). API.md "Renewals and retention".

Fields: ``id``, ``account``, ``title``, ``kind``, ``stage``, ``amount``, ``close_date``, ``owner`` (email),
``won_at``, ``lost_at``, ``created_at``, ``updated_at``. A PATCH locks the row (``access_opportunity``) and
runs the service in one transaction: moving to ``won`` writes the expansion movement once; a won or lost
opportunity is final (409).
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_account
from accounts.models import Account
from core.api.fields import TenantPrimaryKeyRelatedField, TenantUserEmailField
from core.api.schema import OBJECT_READ_ERRORS, OBJECT_WRITE_ERRORS, READ_ERRORS, WRITE_ERRORS
from core.api.viewsets import TenantModelViewSet, TenantScopedMixin
from renewals import expansion_triggers
from renewals import opportunity_selectors as selectors
from renewals import opportunity_services as services
from renewals.ledger_services import MAX_AMOUNT
from renewals.models import Opportunity, OpportunityKind, OpportunityStage
from renewals.opportunity_access import access_opportunity
from tenancy.permissions import ACCOUNTS_WRITE, RENEWALS_CONFIGURE
from tenancy.principal import principal_of

CONFLICT = OpenApiResponse(description="The opportunity is won or lost: final.")


@extend_schema_field({"type": "string", "format": "email", "nullable": True})
class OwnerEmailField(TenantUserEmailField):
    pass


class OpportunitySerializer(serializers.ModelSerializer):
    account = TenantPrimaryKeyRelatedField(model=Account)
    kind = serializers.ChoiceField(choices=OpportunityKind.choices)
    stage = serializers.ChoiceField(choices=OpportunityStage.choices, required=False)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_AMOUNT,
        help_text="ARR the opportunity adds (a one-time amount for professional services).",
    )
    owner = OwnerEmailField(required=False, allow_null=True, help_text="Email; defaults to the account's CSM.")

    class Meta:
        model = Opportunity
        fields = [
            "id", "account", "title", "kind", "stage", "amount", "close_date", "owner", "won_at", "lost_at",
            "created_at", "updated_at",
        ]
        read_only_fields = ["id", "won_at", "lost_at", "created_at", "updated_at"]

    def create(self, validated_data):
        view = self.context["view"]
        with transaction.atomic():
            account = access_account(validated_data.pop("account").pk, principal=principal_of(view.request))
            return services.opportunity_create(account=account, actor=view.acting_user, **validated_data)

    def update(self, instance, validated_data):
        account = validated_data.pop("account", None)
        if account is not None and account.pk != instance.account_id:
            raise serializers.ValidationError({"account": ["An opportunity cannot move to another account."]})
        view = self.context["view"]
        with transaction.atomic():
            locked = access_opportunity(instance.pk, principal=principal_of(view.request), for_write=True)
            return services.opportunity_update(opportunity=locked, actor=view.acting_user, **validated_data)


class OpportunityFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id", label="Account id")
    stage = django_filters.ChoiceFilter(choices=OpportunityStage.choices)
    kind = django_filters.ChoiceFilter(choices=OpportunityKind.choices)

    class Meta:
        model = Opportunity
        fields = ["account", "stage", "kind"]


@extend_schema_view(
    list=extend_schema(summary="List expansion opportunities", responses={200: OpportunitySerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add an expansion opportunity", responses={201: OpportunitySerializer, **WRITE_ERRORS}),
    retrieve=extend_schema(responses={200: OpportunitySerializer, **OBJECT_READ_ERRORS}),
    partial_update=extend_schema(
        summary="Move or edit an opportunity",
        description="Moving to `won` writes, once, an `expansion` ARR movement (the account's `arr` follows), "
                    "except `professional_services` (one-time, never in ARR). Won and lost are final: 409.",
        responses={200: OpportunitySerializer, 409: CONFLICT, **OBJECT_WRITE_ERRORS},
    ),
)
class OpportunityViewSet(TenantModelViewSet):
    """The expansion pipeline."""

    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    write_capability = ACCOUNTS_WRITE

    def get_base_queryset(self):
        return selectors.opportunities_for_api()


class PipelineStageSerializer(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    probability = serializers.IntegerField(help_text="Percent (the tenant's stage probability).")
    weighted = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="amount x probability")


class PipelineSerializer(serializers.Serializer):
    stages = PipelineStageSerializer(many=True)
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=16, decimal_places=2)


class PipelineView(TenantScopedMixin, APIView):
    @extend_schema(responses={200: PipelineSerializer, **READ_ERRORS},
                   description="The open pipeline by stage: sums of amounts and amount x stage probability.")
    def get(self, request):
        return Response(PipelineSerializer(selectors.weighted_pipeline()).data)


# --- settings: stage probabilities and trigger thresholds ---------------------------------------------


class TriggerSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    params = serializers.DictField(help_text="The tenant's thresholds over the defaults, with `enabled`.")
    param_labels = serializers.DictField(child=serializers.CharField())


class ExpansionSettingsSerializer(serializers.Serializer):
    stage_probabilities = serializers.DictField(
        child=serializers.IntegerField(), help_text="Percent by stage (0-100): the weighted pipeline's weights.",
    )
    triggers = TriggerSerializer(many=True, read_only=True)


class ExpansionSettingsPatchSerializer(serializers.Serializer):
    stage_probabilities = serializers.JSONField(required=False, help_text='{"proposal": 60, ...}')
    trigger_params = serializers.JSONField(
        required=False, help_text='{"seat_utilisation": {"percent": 85, "days": 14, "enabled": true}, ...}',
    )


def _expansion_settings() -> dict:
    stored = selectors.trigger_params()
    return {
        "stage_probabilities": selectors.stage_probabilities(),
        "triggers": [
            {"key": t.key, "label": t.label, "description": t.description, "param_labels": t.param_labels,
             "params": expansion_triggers.effective_params(t, stored)}
            for t in expansion_triggers.all_triggers()
        ],
    }


class ExpansionSettingsView(TenantScopedMixin, APIView):
    """The tenant's stage probabilities and expansion trigger thresholds."""

    write_capability = RENEWALS_CONFIGURE

    @extend_schema(responses={200: ExpansionSettingsSerializer, **READ_ERRORS}, summary="Expansion settings")
    def get(self, request):
        return Response(ExpansionSettingsSerializer(_expansion_settings()).data)

    @extend_schema(request=ExpansionSettingsPatchSerializer, responses={200: ExpansionSettingsSerializer, **WRITE_ERRORS},
                   summary="Change stage probabilities or trigger thresholds")
    def patch(self, request):
        serializer = ExpansionSettingsPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.opportunity_settings_update(actor=self.acting_user, **serializer.validated_data)
        return Response(ExpansionSettingsSerializer(_expansion_settings()).data)
