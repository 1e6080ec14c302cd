from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import selectors, services
from accounts.models import Account, AccountStatus, Contact, ContactRole, LifecycleStage
from core.api.fields import TenantPrimaryKeyRelatedField, TenantUserEmailField
from core.api.schema import document_model_viewset_errors
from core.api.viewsets import TenantModelViewSet
from tenancy.permissions import ACCOUNTS_WRITE


@extend_schema_field({"type": "string", "format": "email", "nullable": True})
class CsmField(TenantUserEmailField):
    pass


class AccountSerializer(serializers.ModelSerializer):
    csm = CsmField(required=False, allow_null=True)
    external_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=128)
    arr = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    employee_count = serializers.IntegerField(
        min_value=0, max_value=2_147_483_647, required=False, allow_null=True,
        error_messages={"min_value": "Must be zero or more.", "max_value": "Must be at most 2147483647."},
    )
    lifecycle_stage = serializers.ChoiceField(choices=LifecycleStage.choices, required=False)
    status = serializers.ChoiceField(choices=AccountStatus.choices, required=False)
    health_score = serializers.DecimalField(max_digits=4, decimal_places=1, read_only=True, coerce_to_string=False)

    class Meta:
        model = Account
        fields = [
            "id", "external_id", "name", "industry", "employee_count", "arr", "tier", "segment", "lifecycle_stage",
            "csm", "renewal_date", "status", "customer_since", "payment_overdue", "health_score", "health_status",
            "time_to_value_days", "created_at",
        ]
        read_only_fields = ["id", "segment", "health_score", "health_status", "time_to_value_days", "created_at"]

    def create(self, validated_data):
        return services.account_create(actor=self.context["view"].acting_user, **validated_data)

    def update(self, instance, validated_data):
        return services.account_update(account=instance, actor=self.context["view"].acting_user, **validated_data)


class AccountFilter(django_filters.FilterSet):
    external_id = django_filters.CharFilter()
    segment = django_filters.CharFilter()
    health_status = django_filters.CharFilter()
    lifecycle_stage = django_filters.ChoiceFilter(choices=LifecycleStage.choices)
    status = django_filters.ChoiceFilter(choices=AccountStatus.choices)
    csm = django_filters.CharFilter(field_name="csm__email", lookup_expr="iexact", label="CSM email")
    search = django_filters.CharFilter(method="filter_search", label="Name, industry or exact external id")

    class Meta:
        model = Account
        fields = ["external_id", "segment", "health_status", "lifecycle_stage", "status", "csm", "search"]

    def filter_search(self, queryset, name, value):
        return selectors.account_list(filters=selectors.AccountFilters(search=value)).filter(
            pk__in=queryset.values("pk")
        ) if value else queryset


@document_model_viewset_errors(AccountSerializer)
class AccountViewSet(TenantModelViewSet):
    """Customer accounts. `segment` is derived from `arr` by the tenant's thresholds."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    write_capability = ACCOUNTS_WRITE

    def get_base_queryset(self):
        return selectors.accounts_for_api()

    def perform_destroy(self, instance):
        services.account_delete(account=instance)


class ContactSerializer(serializers.ModelSerializer):
    account = TenantPrimaryKeyRelatedField(model=Account)
    role = serializers.ChoiceField(choices=ContactRole.choices, required=False)

    class Meta:
        model = Contact
        fields = [
            "id", "account", "name", "email", "title", "phone", "role", "is_champion", "is_executive_sponsor",
            "left_company", "left_company_at", "created_at",
        ]
        read_only_fields = ["id", "left_company_at", "created_at"]

    def create(self, validated_data):
        return services.contact_create(actor=self.context["view"].acting_user, **validated_data)

    def update(self, instance, validated_data):
        return services.contact_update(contact=instance, actor=self.context["view"].acting_user, **validated_data)


class ContactFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id")
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Contact
        fields = ["account", "email", "role", "is_champion"]


@document_model_viewset_errors(ContactSerializer)
class ContactViewSet(TenantModelViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    write_capability = ACCOUNTS_WRITE

    def get_base_queryset(self):
        return selectors.contacts_for_api()

    def perform_destroy(self, instance):
        services.contact_delete(contact=instance)
