"""``/api/v1/kpi-targets/``: list, create, get, patch, delete a tenant's KPI targets.

Fields: ``id``, ``metric`` (a key of ``dashboards.kpi_catalogue``), ``label`` and ``unit`` (read-only, from
the catalogue), ``comparator`` (``at_least`` | ``at_most``; default the KPI's usual direction), ``target``
(decimal string, two decimals at most, within the KPI's bounds), ``note``. Writing needs a write-scoped key
(``dashboards.configure``); the services validate the whole target (400 naming the field, nothing written).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from core.api.viewsets import TenantModelViewSet
from dashboards import kpi_catalogue, kpi_selectors
from dashboards import kpi_services as services
from dashboards.kpi_status import Comparator
from dashboards.models import KpiTarget
from tenancy.permissions import DASHBOARDS_CONFIGURE


class KpiTargetSerializer(serializers.ModelSerializer):
    metric = serializers.ChoiceField(choices=kpi_catalogue.CHOICES)
    comparator = serializers.ChoiceField(choices=[c.value for c in Comparator], required=False,
                                         help_text="at_least or at_most; default: the KPI's usual direction.")
    target = serializers.DecimalField(max_digits=8, decimal_places=2)
    label = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()

    class Meta:
        model = KpiTarget
        fields = ["id", "metric", "label", "unit", "comparator", "target", "note", "created_at", "updated_at"]
        read_only_fields = ["id", "label", "unit", "created_at", "updated_at"]

    def get_label(self, obj: KpiTarget) -> str:
        return obj.kpi.label

    def get_unit(self, obj: KpiTarget) -> str:
        return obj.kpi.unit

    def create(self, validated_data):
        return services.kpi_target_create(actor=self.context["view"].acting_user, **validated_data)

    def update(self, instance, validated_data):
        return services.kpi_target_update(kpi_target=instance, actor=self.context["view"].acting_user,
                                          **validated_data)


@extend_schema_view(
    list=extend_schema(summary="List KPI targets"),
    create=extend_schema(summary="Set a KPI target (one per metric)"),
    retrieve=extend_schema(summary="Get a KPI target"),
    partial_update=extend_schema(summary="Edit a KPI target"),
    destroy=extend_schema(summary="Remove a KPI target"),
)
class KpiTargetViewSet(TenantModelViewSet):
    """KPI targets shown beside the actual figures on the portfolio and support dashboards."""

    serializer_class = KpiTargetSerializer
    write_capability = DASHBOARDS_CONFIGURE

    def get_base_queryset(self):
        return kpi_selectors.target_queryset()

    def perform_destroy(self, instance):
        services.kpi_target_delete(kpi_target=instance, actor=self.acting_user)
