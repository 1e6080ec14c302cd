"""ARR ledger and retention API (API.md "Renewals and retention"): `/api/v1/arr-movements/` (list,
create, get; `?account=`), `GET /api/v1/metrics/retention/` and `GET /api/v1/metrics/retention/monthly/`."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_account
from accounts.models import Account
from core.api.fields import TenantPrimaryKeyRelatedField
from core.api.schema import BAD_REQUEST, OBJECT_READ_ERRORS, READ_ERRORS, WRITE_ERRORS
from core.api.viewsets import TenantCreateListRetrieveViewSet, TenantScopedMixin
from renewals import ledger_selectors as selectors
from renewals import ledger_services as services
from renewals import retention
from renewals.models import ArrMovement, MovementKind
from tenancy.permissions import ACCOUNTS_WRITE
from tenancy.principal import principal_of


class ArrMovementSerializer(serializers.ModelSerializer):
    account = TenantPrimaryKeyRelatedField(model=Account)
    kind = serializers.ChoiceField(choices=MovementKind.choices)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), max_value=services.MAX_AMOUNT,
        help_text="Positive: the kind gives the direction (contraction and churn lower the ARR).",
    )
    date = serializers.DateField(
        help_text="A future date moves the account's ARR on that date (a daily job), not before.",
    )

    class Meta:
        model = ArrMovement
        fields = ["id", "account", "date", "kind", "amount", "source", "created_at"]
        read_only_fields = ["id", "source", "created_at"]

    def create(self, validated_data):
        view = self.context["view"]
        with transaction.atomic():
            account = access_account(validated_data.pop("account").pk, principal=principal_of(view.request), for_write=True)
            return services.movement_create(account=account, actor=view.acting_user, **validated_data)


class ArrMovementFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id", label="Account id")

    class Meta:
        model = ArrMovement
        fields = ["account"]


@extend_schema_view(
    list=extend_schema(responses={200: ArrMovementSerializer, **READ_ERRORS}),
    create=extend_schema(
        responses={201: ArrMovementSerializer, **WRITE_ERRORS},
        description="Record a movement; the account's `arr` becomes the signed sum of its movements dated up to "
                    "today, in the same transaction. 400 when it would take the ARR below 0 on any day.",
    ),
    retrieve=extend_schema(responses={200: ArrMovementSerializer, **OBJECT_READ_ERRORS}),
)
class ArrMovementViewSet(TenantCreateListRetrieveViewSet):
    """The ARR ledger: every change of an account's ARR."""

    serializer_class = ArrMovementSerializer
    filterset_class = ArrMovementFilter
    write_capability = ACCOUNTS_WRITE

    def get_base_queryset(self):
        return selectors.movements_for_api()


# --- retention ---------------------------------------------------------------------------------------


class RetentionQuerySerializer(serializers.Serializer):
    start = serializers.DateField(help_text="YYYY-MM-DD: the starting set is the accounts with ARR at the end of this day.")
    end = serializers.DateField(help_text="YYYY-MM-DD: movements dated after `start` up to and including `end` count.")

    def validate(self, attrs):
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": ["Must be on or after start."]})
        return attrs


class MonthlyQuerySerializer(serializers.Serializer):
    months = serializers.IntegerField(min_value=1, max_value=retention.MAX_MONTHS, default=12, required=False)


def _money(**kwargs):
    return serializers.DecimalField(max_digits=16, decimal_places=2, **kwargs)


def _pct(help_text):
    return serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True, coerce_to_string=False, help_text=help_text)


class RetentionSerializer(serializers.Serializer):
    starting_arr = _money(help_text="ARR at `start` of the accounts that had ARR then.")
    expansion = _money(help_text="Expansions and reactivations of those accounts in the window.")
    contraction = _money()
    churn = _money()
    nrr = _pct("(starting + expansion - contraction - churn) / starting, percent, one decimal; null when starting is 0.")
    grr = _pct("(starting - contraction - churn) / starting, percent, one decimal; null when starting is 0.")
    logo_retention = _pct("Share of those accounts with ARR above 0 at `end`, percent; null when there are none.")


class RetentionMonthSerializer(RetentionSerializer):
    month = serializers.CharField(help_text="YYYY-MM")
    start = serializers.DateField(help_text="The last day of the month twelve months before.")
    end = serializers.DateField(help_text="The month's last day (today for the current month).")


class RetentionTrendSerializer(serializers.Serializer):
    months = RetentionMonthSerializer(many=True)


class RetentionView(TenantScopedMixin, APIView):
    @extend_schema(
        parameters=[RetentionQuerySerializer],
        responses={200: RetentionSerializer, 400: BAD_REQUEST, **READ_ERRORS},
        description="NRR, GRR and logo retention over the accounts that had ARR at `start` (API.md).",
    )
    def get(self, request):
        query = RetentionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        totals = selectors.retention_totals(start=query.validated_data["start"], end=query.validated_data["end"])
        return Response(RetentionSerializer(retention.retention(totals).as_dict()).data)


class RetentionMonthlyView(TenantScopedMixin, APIView):
    @extend_schema(
        parameters=[OpenApiParameter("months", int, description="How many months (1-36, default 12).")],
        responses={200: RetentionTrendSerializer, 400: BAD_REQUEST, **READ_ERRORS},
        description="Trailing-twelve-month NRR, GRR and logo retention at each month's end, oldest first; the "
                    "last is the current month, to today.",
    )
    def get(self, request):
        query = MonthlyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        trend = selectors.retention_trend(today=timezone.localdate(), months=query.validated_data.get("months", 12))
        months = [
            {"month": window.month, "start": window.start, "end": window.end, **retention.retention(totals).as_dict()}
            for window, totals in trend
        ]
        return Response(RetentionTrendSerializer({"months": months}).data)
