"""``/api/v1/renewals/`` (list, create, get, patch), API.md "Renewals and retention": ``id``, ``account``,
``contract_end``, ``arr``, ``stage``, ``forecast``, ``forecast_reason``, ``outcome``, ``renewed_arr``,
``churn_reason``, ``closed_at``. The services hold the rules (400 naming the field, nothing written; 409 on
a second outcome)."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from accounts.access import access_account
from accounts.models import Account
from base.errors import DomainError
from core.api.fields import TenantPrimaryKeyRelatedField
from core.api.schema import OBJECT_READ_ERRORS, OBJECT_WRITE_ERRORS, READ_ERRORS, WRITE_ERRORS
from core.api.viewsets import TenantCreateListRetrieveViewSet
from renewals import renewal_selectors as selectors
from renewals import renewal_services as services
from renewals.models import Forecast, Renewal, RenewalOutcome, RenewalStage
from renewals.renewal_access import access_renewal
from tenancy.permissions import ACCOUNTS_WRITE
from tenancy.principal import principal_of

CONFLICT = OpenApiResponse(description="The renewal's outcome is already recorded.")
WRITE_ONCE = ("account", "contract_end", "arr")


class RenewalSerializer(serializers.ModelSerializer):
    account = TenantPrimaryKeyRelatedField(model=Account)
    arr = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False,
        help_text="The account's ARR when the renewal opened (default: its current ARR).",
    )
    stage = serializers.ChoiceField(choices=RenewalStage.choices, required=False)
    forecast = serializers.ChoiceField(
        choices=Forecast.choices, required=False,
        help_text="Defaults from the health band (top: commit, bottom: at_risk, else probable) and follows it "
                  "until overridden; an override needs a `forecast_reason`.",
    )
    forecast_reason = serializers.CharField(required=False, allow_blank=True)
    outcome = serializers.ChoiceField(
        choices=RenewalOutcome.choices, allow_null=True, required=False,
        help_text="Recorded once (409 after): writes the ARR movement from the account's current ARR to "
                  "`renewed_arr`, and the account's ARR, status or next renewal date.",
    )
    renewed_arr = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), allow_null=True,
                                           required=False)
    churn_reason = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = Renewal
        fields = ["id", "account", "contract_end", "arr", "stage", "forecast", "forecast_reason", "outcome",
                  "renewed_arr", "churn_reason", "closed_at"]
        read_only_fields = ["id", "closed_at"]
        validators = []  # the (tenant, account, contract_end) rule is the service's (400 naming contract_end)

    def create(self, validated_data):
        view = self.context["view"]
        if validated_data.get("outcome") is not None or "renewed_arr" in validated_data:
            raise DomainError("Record the outcome with a PATCH once the renewal exists.", field="outcome")
        validated_data.pop("outcome", None)
        with transaction.atomic():
            account = access_account(validated_data.pop("account").pk, principal=principal_of(view.request),
                                     for_write=True)
            return services.renewal_create(account=account, actor=view.acting_user, **validated_data)

    def update(self, instance, validated_data):
        view = self.context["view"]
        for field in WRITE_ONCE:
            if field in validated_data and validated_data[field] != getattr(instance, field):
                raise DomainError("Set when the renewal opens (the contract end follows the account's renewal date).",
                                  field=field)
            validated_data.pop(field, None)
        if validated_data.get("outcome", "") is None:
            validated_data.pop("outcome")
        principal = principal_of(view.request)
        with transaction.atomic():
            # Lock order: the account, then the renewal (as the renewal-date hook does).
            access_account(instance.account_id, principal=principal, for_write=True)
            renewal = access_renewal(instance.pk, principal=principal, for_write=True)
            return services.renewal_update(renewal=renewal, actor=view.acting_user, **validated_data)


class RenewalFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id", label="Account id")
    forecast = django_filters.ChoiceFilter(choices=Forecast.choices)
    open = django_filters.BooleanFilter(field_name="outcome", lookup_expr="isnull", label="Open (no outcome yet)")

    class Meta:
        model = Renewal
        fields = ["account", "forecast", "open"]


@extend_schema_view(
    list=extend_schema(summary="List renewals", responses={200: RenewalSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Open a renewal", responses={201: RenewalSerializer, **WRITE_ERRORS}),
    retrieve=extend_schema(responses={200: RenewalSerializer, **OBJECT_READ_ERRORS}),
    partial_update=extend_schema(
        summary="Edit a renewal, override its forecast or record its outcome",
        responses={200: RenewalSerializer, **OBJECT_WRITE_ERRORS, 409: CONFLICT},
    ),
)
class RenewalViewSet(mixins.UpdateModelMixin, TenantCreateListRetrieveViewSet):
    """Renewals: opened daily within the tenant's window, forecast from health, closed by their outcome."""

    serializer_class = RenewalSerializer
    filterset_class = RenewalFilter
    write_capability = ACCOUNTS_WRITE
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_base_queryset(self):
        return selectors.renewal_list()
