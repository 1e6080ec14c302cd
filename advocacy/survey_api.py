"""Survey API (API.md "Surveys and advocacy"): ``/api/v1/survey-responses/`` (create, list, get) and the
metrics ``GET /api/v1/metrics/nps/`` and ``GET /api/v1/metrics/csat/``."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_account
from accounts.models import Account, Contact
from advocacy import response_services as services
from advocacy import survey_selectors as selectors
from advocacy.models import SurveyKind, SurveyResponse
from core.api.fields import TenantPrimaryKeyRelatedField
from core.api.schema import BAD_REQUEST, OBJECT_READ_ERRORS, READ_ERRORS, WRITE_ERRORS
from core.api.viewsets import TenantCreateListRetrieveViewSet, TenantScopedMixin
from tenancy.permissions import ACCOUNTS_ENGAGE
from tenancy.principal import principal_of

DEFAULT_WINDOW_DAYS = 90
CLOCK_SKEW = timedelta(minutes=5)


class SurveyResponseSerializer(serializers.ModelSerializer):
    account = TenantPrimaryKeyRelatedField(model=Account)
    contact = TenantPrimaryKeyRelatedField(model=Contact, required=False, allow_null=True,
                                           help_text="Optional; must be a contact of `account`.")
    kind = serializers.ChoiceField(choices=SurveyKind.choices)
    score = serializers.IntegerField(help_text="NPS 0-10, CSAT 1-5; out of range is 400 naming `score`.")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_COMMENT, default="")
    responded_at = serializers.DateTimeField()
    category = serializers.CharField(read_only=True, allow_null=True,
                                     help_text="promoter (9-10), passive (7-8) or detractor (0-6); null for CSAT.")

    class Meta:
        model = SurveyResponse
        fields = ["id", "account", "contact", "kind", "score", "comment", "responded_at", "category", "created_at"]
        read_only_fields = ["id", "category", "created_at"]

    def validate_responded_at(self, value):
        if value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError("Must not be in the future.")
        return value

    def create(self, validated_data):
        view = self.context["view"]
        with transaction.atomic():
            account = access_account(
                validated_data.pop("account").pk, principal=principal_of(view.request), for_write=True,
                capability=ACCOUNTS_ENGAGE,
            )
            return services.response_record(account=account, actor=view.acting_user, **validated_data)


class SurveyResponseFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id", label="Account id")
    kind = django_filters.ChoiceFilter(choices=SurveyKind.choices)
    responded_after = django_filters.IsoDateTimeFilter(field_name="responded_at", lookup_expr="gte")
    responded_before = django_filters.IsoDateTimeFilter(field_name="responded_at", lookup_expr="lt")

    class Meta:
        model = SurveyResponse
        fields = ["account", "kind", "responded_after", "responded_before"]


@extend_schema_view(
    list=extend_schema(responses={200: SurveyResponseSerializer, **READ_ERRORS}),
    create=extend_schema(
        responses={201: SurveyResponseSerializer, **WRITE_ERRORS},
        description="Record a response from an integration's own survey: classified, on the account timeline "
                    "with its comment; an NPS detractor (0-6) or a CSAT of 1-2 opens a CTA for the CSM due "
                    "within 48 hours.",
    ),
    retrieve=extend_schema(responses={200: SurveyResponseSerializer, **OBJECT_READ_ERRORS}),
)
class SurveyResponseViewSet(TenantCreateListRetrieveViewSet):
    """NPS and CSAT responses."""

    serializer_class = SurveyResponseSerializer
    filterset_class = SurveyResponseFilter
    write_capability = ACCOUNTS_ENGAGE

    def get_base_queryset(self):
        return selectors.responses_for_api()


# --- metrics -----------------------------------------------------------------------------------------


class MetricQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="YYYY-MM-DD, first day (tenant time); default: 89 days before end.")
    end = serializers.DateField(required=False, help_text="YYYY-MM-DD, last day included; default: today.")
    segment = serializers.CharField(required=False, help_text="Only accounts of this segment (a segment key).")

    def validate_segment(self, value):
        if value not in selectors.segment_keys():
            raise serializers.ValidationError(f"Unknown segment; one of: {', '.join(selectors.segment_keys())}.")
        return value

    def validate(self, attrs):
        end = attrs.get("end") or timezone.localdate()
        start = attrs.get("start") or end - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
        if start > end:
            raise serializers.ValidationError({"end": ["Must be on or after start."]})
        return {**attrs, "start": start, "end": end}


def _pct(help_text, places=1):
    return serializers.DecimalField(max_digits=6, decimal_places=places, allow_null=True, coerce_to_string=False,
                                    help_text=help_text)


_RATE = "Percent of the surveys of this kind sent in the window that were answered; null when none were sent."


class NpsMetricSerializer(serializers.Serializer):
    responses = serializers.IntegerField()
    promoters = serializers.IntegerField(help_text="Scores 9-10.")
    passives = serializers.IntegerField(help_text="Scores 7-8.")
    detractors = serializers.IntegerField(help_text="Scores 0-6.")
    nps = _pct("% promoters - % detractors, one decimal (half away from zero); null when there are no responses.")
    response_rate = _pct(_RATE)


class CsatMetricSerializer(serializers.Serializer):
    responses = serializers.IntegerField()
    average = _pct("Average of the 1-5 scores, two decimals; null when there are no responses.", places=2)
    satisfied = _pct("Percent of 4s and 5s, one decimal; null when there are no responses.")
    response_rate = _pct(_RATE)


class _MetricView(TenantScopedMixin, APIView):
    metric = staticmethod(selectors.nps_metric)
    serializer = NpsMetricSerializer

    def get(self, request):
        query = MetricQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        window = selectors.Window(start=data["start"], end=data["end"])
        return Response(self.serializer(self.metric(window=window, segment=data.get("segment"))).data)


class NpsMetricView(_MetricView):
    @extend_schema(
        parameters=[MetricQuerySerializer], responses={200: NpsMetricSerializer, 400: BAD_REQUEST, **READ_ERRORS},
        description="NPS of the responses in the window (API.md), plus the response rate.",
    )
    def get(self, request):
        return super().get(request)


class CsatMetricView(_MetricView):
    metric = staticmethod(selectors.csat_metric)
    serializer = CsatMetricSerializer

    @extend_schema(
        parameters=[MetricQuerySerializer], responses={200: CsatMetricSerializer, 400: BAD_REQUEST, **READ_ERRORS},
        description="CSAT of the responses in the window (API.md), plus the response rate.",
    )
    def get(self, request):
        return super().get(request)
