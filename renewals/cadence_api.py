"""``/api/v1/touchpoint-cadences/``: list, create, get, patch, delete a tenant's touchpoint cadences.

Fields: ``id``, ``kind`` (``qbr`` | ``check_in`` | ``executive_review`` | ``custom``), ``label`` (the custom
touchpoint's name), ``title`` (read-only), ``scope`` (``segment`` | ``tier``), ``match`` (segment key or tier
name), ``interval_count``, ``interval_unit`` (``days`` | ``months``), ``lead_days``, ``automated``,
``resets_on`` (activity kinds; empty: the kind's default), ``steps`` (list of step titles), ``active``.
The services validate the whole cadence (400 naming the field, nothing written).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from core.api.viewsets import TenantModelViewSet
from renewals import cadence_selectors as selectors
from renewals import cadence_services as services
from renewals.models import TouchpointCadence
from renewals.models.cadences import STEP_LENGTH
from tenancy.permissions import RENEWALS_CONFIGURE


class TouchpointCadenceSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    resets_on = serializers.ListField(
        child=serializers.ChoiceField(choices=services.RESETTABLE_KINDS), required=False,
        help_text="Timeline activity kinds that count as this touchpoint; empty: the kind's default.",
    )
    steps = serializers.ListField(
        child=serializers.CharField(max_length=STEP_LENGTH), required=False,
        help_text="Step titles the CSM works through to prepare the touchpoint, in order.",
    )

    class Meta:
        model = TouchpointCadence
        fields = [
            "id", "kind", "label", "title", "scope", "match", "interval_count", "interval_unit", "lead_days",
            "automated", "resets_on", "steps", "active", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "title", "created_at", "updated_at"]

    def create(self, validated_data):
        return services.cadence_create(actor=self.context["view"].acting_user, **validated_data)

    def update(self, instance, validated_data):
        return services.cadence_update(cadence=instance, actor=self.context["view"].acting_user, **validated_data)


@extend_schema_view(
    list=extend_schema(summary="List touchpoint cadences"),
    create=extend_schema(summary="Add a touchpoint cadence (by segment or tier)"),
    partial_update=extend_schema(summary="Edit a touchpoint cadence"),
    destroy=extend_schema(summary="Remove a touchpoint cadence"),
)
class TouchpointCadenceViewSet(TenantModelViewSet):
    """Touchpoint cadences: QBRs, check-ins, executive reviews (or custom touchpoints) by segment or tier."""

    serializer_class = TouchpointCadenceSerializer
    write_capability = RENEWALS_CONFIGURE

    def get_base_queryset(self):
        return selectors.cadence_list()

    def perform_destroy(self, instance):
        services.cadence_delete(cadence=instance, actor=self.acting_user)
