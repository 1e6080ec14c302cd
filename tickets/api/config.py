"""SLA configuration endpoints: the policy table, business hours, the at-risk and escalation settings."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tenancy.permissions import TICKETS_CONFIGURE
from tickets import selectors
from tickets.models import SlaClock
from tickets.services import sla_config


class SlaPolicySerializer(serializers.Serializer):
    severity = serializers.IntegerField(min_value=1, max_value=4)
    segment = serializers.CharField(allow_null=True, required=False, default=None, max_length=50)
    response_minutes = serializers.IntegerField(min_value=1)
    resolution_minutes = serializers.IntegerField(min_value=1)
    clock = serializers.ChoiceField(choices=SlaClock.choices, default=SlaClock.ALWAYS)


class SlaPolicyView(APIView):
    """The tenant's SLA policy table: targets per (severity, segment); segment null = any segment."""

    write_capability = TICKETS_CONFIGURE

    @extend_schema(responses=SlaPolicySerializer(many=True), summary="SLA policies")
    def get(self, request):
        return Response(SlaPolicySerializer(selectors.sla_policies_effective(), many=True).data)

    @extend_schema(request=SlaPolicySerializer(many=True), responses=SlaPolicySerializer(many=True),
                   summary="Replace the SLA policy table",
                   description="Existing tickets keep their targets; new tickets and severity changes use the new table.")
    def put(self, request):
        if not isinstance(request.data, list):
            raise serializers.ValidationError({"non_field_errors": ["Send a list of policies."]})
        serializer = SlaPolicySerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        sla_config.sla_policies_replace(policies=serializer.validated_data)
        return Response(SlaPolicySerializer(selectors.sla_policies_effective(), many=True).data)


class IntervalSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="Monday = 0")
    start = serializers.RegexField(r"^\d{2}:\d{2}$", help_text="HH:MM")
    end = serializers.RegexField(r"^\d{2}:\d{2}$", help_text="HH:MM (24:00 = midnight)")


class BusinessHoursSerializer(serializers.Serializer):
    timezone = serializers.CharField(max_length=64)
    intervals = IntervalSerializer(many=True)
    holidays = serializers.ListField(child=serializers.DateField(), required=False, default=list)


class BusinessHoursView(APIView):
    """Business hours: the clock of business-hours SLA targets (tenant time zone, intervals, holidays)."""

    write_capability = TICKETS_CONFIGURE

    @extend_schema(responses=BusinessHoursSerializer, summary="Business hours")
    def get(self, request):
        return Response(BusinessHoursSerializer(selectors.business_hours_get()).data)

    @extend_schema(request=BusinessHoursSerializer, responses=BusinessHoursSerializer, summary="Set business hours")
    def put(self, request):
        serializer = BusinessHoursSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        sla_config.business_hours_update(
            timezone_name=data["timezone"], intervals=[dict(i) for i in data["intervals"]],
            holidays=[day.isoformat() for day in data["holidays"]],
        )
        return Response(BusinessHoursSerializer(selectors.business_hours_get()).data)


class SupportSettingsSerializer(serializers.Serializer):
    at_risk_percent = serializers.IntegerField(min_value=1, max_value=100, required=False)
    escalate_after_minutes = serializers.IntegerField(min_value=1, allow_null=True, required=False)


class SupportSettingsView(APIView):
    """At-risk threshold (% of a target elapsed) and escalation age (minutes unresolved; null = never)."""

    write_capability = TICKETS_CONFIGURE

    @extend_schema(responses=SupportSettingsSerializer, summary="Support settings")
    def get(self, request):
        return Response(SupportSettingsSerializer(selectors.support_settings_get()).data)

    @extend_schema(request=SupportSettingsSerializer, responses=SupportSettingsSerializer,
                   summary="Change support settings")
    def patch(self, request):
        serializer = SupportSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(SupportSettingsSerializer(sla_config.support_settings_update(**serializer.validated_data)).data)

