"""``/api/v1/renewal-settings/``: the tenant's renewal window, renewed term, 90/60/30 motions and churn
reasons (GET; PATCH with ``renewals.configure``), beside ``/api/v1/expansion-settings/``. The service
validates every field (400 naming it, nothing written)."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.schema import READ_ERRORS, WRITE_ERRORS
from core.api.viewsets import TenantScopedMixin
from renewals import renewal_selectors as selectors
from renewals import renewal_services as services
from tenancy.permissions import RENEWALS_CONFIGURE


class MotionSerializer(serializers.Serializer):
    offset = serializers.IntegerField(help_text="Days before the contract end the motion's CTAs are due.")
    steps = serializers.ListField(child=serializers.CharField(), help_text="CTA titles, in order.")


class RenewalSettingsSerializer(serializers.Serializer):
    window_days = serializers.IntegerField(help_text="A renewal opens this many days before the renewal date.")
    term_months = serializers.IntegerField(help_text="The length of a renewed term (the next renewal date).")
    motions = MotionSerializer(many=True)
    churn_reasons = serializers.ListField(child=serializers.CharField(), help_text="The reasons a churn may give.")


class RenewalSettingsPatchSerializer(serializers.Serializer):
    window_days = serializers.JSONField(required=False)
    term_months = serializers.JSONField(required=False)
    motions = serializers.JSONField(required=False, help_text='[{"offset": 90, "steps": ["Health review"]}, ...]')
    churn_reasons = serializers.JSONField(required=False, help_text='["Budget cuts", "Competitor", ...]')


def _current() -> dict:
    row = selectors.renewal_settings_get()
    return {"window_days": row.window_days, "term_months": row.term_months, "motions": row.motions,
            "churn_reasons": row.churn_reasons}


class RenewalSettingsView(TenantScopedMixin, APIView):
    """The tenant's renewal window, term, motions and churn reasons."""

    write_capability = RENEWALS_CONFIGURE

    @extend_schema(responses={200: RenewalSettingsSerializer, **READ_ERRORS}, summary="Renewal settings")
    def get(self, request):
        return Response(RenewalSettingsSerializer(_current()).data)

    @extend_schema(request=RenewalSettingsPatchSerializer, responses={200: RenewalSettingsSerializer, **WRITE_ERRORS},
                   summary="Change the renewal window, term, motions or churn reasons")
    def patch(self, request):
        serializer = RenewalSettingsPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            services.renewal_settings_update(actor=self.acting_user, **serializer.validated_data)
        return Response(RenewalSettingsSerializer(_current()).data)
