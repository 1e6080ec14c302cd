"""Onboarding API (API.md "Onboarding"):

* ``/api/v1/onboarding-templates/``: list, create, get, patch, delete templates: phases with day offsets
  (0-based from the plan start) and tasks (``title``, ``due_day``, ``owner_role``, optional ``milestone``
  and ``checklist``), written nested and validated as a whole by ``onboarding.structure``, the validator the
  editor page uses too (400 and nothing written on bad input).
* ``/api/v1/onboarding-plans/``: create ``{"account", "start_date", "template"}`` (template omitted: the
  tenant's default); list, get, patch (owner, specialist, handoff, notes, success criteria, status);
  ``POST .../{id}/first-value/`` records first value (time to value).
* ``/api/v1/onboarding-tasks/``: list (``?plan=``, ``?status=``, ``?owner=``), get, patch (status, owner,
  due date, checklist).
"""

from __future__ import annotations

import django_filters
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Account
from core.api.fields import TenantPrimaryKeyRelatedField, TenantUserEmailField
from core.api.viewsets import TenantModelViewSet, TenantScopedMixin
from onboarding import selectors, services
from onboarding.gantt import is_overdue
from onboarding.models import (
    HANDOFF_FIELDS,
    CriterionStatus,
    Milestone,
    OnboardingPlan,
    OnboardingTemplate,
    PlanStatus,
    PlanTask,
    WorkStatus,
)
from onboarding.structure import ITEM_LIMIT, MAX_CHECK_IN_DAY
from tenancy.models import Role
from tenancy.permissions import ONBOARDING_CONFIGURE, ONBOARDING_WRITE


@extend_schema_field({"type": "string", "format": "email", "nullable": True})
class UserEmailField(TenantUserEmailField):
    pass


# --------------------------------------------------------------------------- templates


# The read shape of a template's structure, and the documentation of what is written. Written bodies are not
# checked here: `TemplateStructureField` hands them as given to the services, which validate them (once,
# for the API and the editor page alike) with `onboarding.structure`.


class TemplateTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=200)
    due_day = serializers.IntegerField(min_value=0, help_text="Day offset from the plan start (0-based), inside the phase.")
    owner_role = serializers.ChoiceField(
        choices=Role.choices, required=False, allow_blank=True, default=Role.CSM,
        help_text='"csm" (the default) is the account\'s CSM, "onboarding_specialist" the plan\'s specialist; '
        'a viewer cannot own tasks.',
    )
    milestone = serializers.ChoiceField(choices=Milestone.choices, required=False, allow_blank=True, allow_null=True)
    checklist = serializers.ListField(child=serializers.CharField(max_length=300), required=False)


class TemplatePhaseSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    start_day = serializers.IntegerField(min_value=0, help_text="First day of the phase (0 = the plan's start date).")
    end_day = serializers.IntegerField(min_value=0, help_text="Last day of the phase (>= start_day).")
    tasks = TemplateTaskSerializer(many=True)


@extend_schema_field(TemplatePhaseSerializer(many=True))
class TemplateStructureField(serializers.Field):
    """A template's phases with their tasks: written as given (validated by the services), read from its rows."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, phases):
        return TemplatePhaseSerializer(phases.all(), many=True).data


@extend_schema_field({"type": "array", "items": {"type": "string", "maxLength": ITEM_LIMIT}})
class PromptsField(serializers.JSONField):
    """Success-criteria prompts, written as given (validated by the services)."""


@extend_schema_field({"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_CHECK_IN_DAY}})
class CheckInDaysField(serializers.JSONField):
    """Check-in days after go-live, written as given (validated by the services)."""


class TemplateSerializer(serializers.ModelSerializer):
    phases = TemplateStructureField(help_text="Replaces the whole structure on PATCH.")
    success_criteria = PromptsField(required=False, help_text="Prompts the kickoff answers.")
    check_in_days = CheckInDaysField(required=False, help_text="Days after go-live (default 30/60/90).")
    is_default = serializers.BooleanField(required=False, allow_null=True, default=None)
    duration_days = serializers.SerializerMethodField()

    class Meta:
        model = OnboardingTemplate
        fields = [
            "id", "name", "description", "is_default", "success_criteria", "check_in_days", "phases",
            "duration_days", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_duration_days(self, template) -> int:
        return max((p.end_day for p in template.phases.all()), default=-1) + 1

    def create(self, validated_data):
        template = services.template_create(actor=self.context["view"].acting_user, **validated_data)
        return selectors.template_get(pk=template.pk)

    def update(self, instance, validated_data):
        if validated_data.get("is_default") is None:
            validated_data.pop("is_default", None)
        template = services.template_update(template=instance, actor=self.context["view"].acting_user, **validated_data)
        return selectors.template_get(pk=template.pk)


@extend_schema_view(
    list=extend_schema(summary="List onboarding templates"),
    create=extend_schema(summary="Create a template with its phases and tasks"),
    partial_update=extend_schema(summary="Edit a template (phases, when given, replace the structure)"),
)
class OnboardingTemplateViewSet(TenantModelViewSet):
    """Onboarding plan templates: phases with 0-based day offsets from the plan start, tasks with owner roles."""

    serializer_class = TemplateSerializer
    write_capability = ONBOARDING_CONFIGURE

    def get_base_queryset(self):
        return selectors.template_with_structure()

    def perform_destroy(self, instance):
        services.template_delete(template=instance)


# --------------------------------------------------------------------------- plans and tasks


class ChecklistItemSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=300)
    done = serializers.BooleanField(default=False)


class PlanTaskSerializer(serializers.ModelSerializer):
    owner = UserEmailField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=WorkStatus.choices, required=False)
    checklist = ChecklistItemSerializer(many=True, required=False)
    overdue = serializers.SerializerMethodField(help_text="Unfinished and past its due date (tenant's today).")

    class Meta:
        model = PlanTask
        fields = [
            "id", "plan", "phase", "title", "due_date", "status", "owner", "owner_role", "milestone", "checklist",
            "overdue", "completed_at",
        ]
        read_only_fields = ["id", "plan", "phase", "title", "owner_role", "milestone", "completed_at"]

    def get_overdue(self, task) -> bool:
        if hasattr(task, "is_late"):
            return task.is_late
        return is_overdue(task.due_date, task.status, self.context.get("today") or selectors.tenant_today())

    def update(self, instance, validated_data):
        services.plan_task_update(task=instance, actor=self.context["view"].acting_user, **validated_data)
        return selectors.plan_task_get(pk=instance.pk)


class PlanPhaseSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    start_date = serializers.DateField(read_only=True)
    due_date = serializers.DateField(read_only=True)
    status = serializers.ChoiceField(choices=WorkStatus.choices, read_only=True)
    overdue = serializers.BooleanField(source="is_late", read_only=True)
    tasks = PlanTaskSerializer(many=True, read_only=True)


class SuccessCriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    prompt = serializers.CharField(max_length=300, required=False, allow_blank=True)
    text = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=CriterionStatus.choices, required=False)


class CheckInSerializer(serializers.Serializer):
    task = serializers.IntegerField(source="pk", read_only=True, help_text="The CTA's id (/accounts/ tasks).")
    title = serializers.CharField(read_only=True)
    due_date = serializers.DateField(read_only=True)
    status = serializers.CharField(read_only=True)
    owner = serializers.EmailField(source="owner.email", read_only=True, allow_null=True, default=None)


@extend_schema_field(
    {"type": "object", "properties": {key: {"type": "string", "description": label} for key, label in HANDOFF_FIELDS.items()}}
)
class HandoffField(serializers.DictField):
    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(allow_blank=True, allow_null=True), **kwargs)


class PlanSerializer(serializers.ModelSerializer):
    account = TenantPrimaryKeyRelatedField(model=Account)
    account_name = serializers.CharField(source="account.name", read_only=True)
    template = TenantPrimaryKeyRelatedField(
        model=OnboardingTemplate, required=False, allow_null=True, help_text="Omitted: the tenant's default template."
    )
    status = serializers.ChoiceField(
        choices=PlanStatus.choices, required=False, help_text="PATCH to completed or cancelled."
    )
    owner = UserEmailField(required=False, allow_null=True)
    specialist = UserEmailField(required=False, allow_null=True)
    handoff = HandoffField(required=False, help_text="The sales handoff; PATCH merges the keys given.")
    success_criteria = SuccessCriterionSerializer(many=True, required=False, help_text="PATCH replaces the list.")
    schedule_status = serializers.SerializerMethodField(help_text="on_track | at_risk | late | done (metrics.py).")
    phases = PlanPhaseSerializer(many=True, read_only=True)
    check_ins = CheckInSerializer(many=True, read_only=True)

    class Meta:
        model = OnboardingPlan
        fields = [
            "id", "account", "account_name", "template", "name", "status", "start_date", "target_go_live_date",
            "kickoff_date", "go_live_date", "first_value_at", "time_to_value_days", "completed_at", "progress",
            "schedule_status", "owner", "specialist", "handoff", "notes", "success_criteria", "phases", "check_ins",
            "created_at",
        ]
        read_only_fields = [
            "id", "name", "target_go_live_date", "kickoff_date", "go_live_date", "first_value_at",
            "time_to_value_days", "completed_at", "progress", "created_at",
        ]

    def get_schedule_status(self, plan) -> str:
        return plan.schedule

    def to_representation(self, plan):
        today = self.context.get("today") or selectors.tenant_today()
        if not hasattr(plan, "task_total"):
            plan = selectors.plan_get(pk=plan.pk, today=today)
        elif not hasattr(plan, "check_ins"):
            selectors.decorate_plan(plan, today)
        return super().to_representation(plan)

    def validate(self, attrs):
        if self.instance is None and not attrs.get("start_date"):
            raise serializers.ValidationError({"start_date": ["This field is required."]})
        if self.instance is not None:
            for key in ("account", "template", "start_date"):
                if key in attrs and attrs[key] != getattr(self.instance, key):
                    raise serializers.ValidationError({key: ["A running plan's account, template and start date cannot change."]})
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        """Plan and criteria in one transaction: a bad criterion is a 400 with no plan written."""
        criteria = validated_data.pop("success_criteria", None)
        validated_data.pop("status", None)
        plan = services.plan_create(actor=self.context["view"].acting_user, **validated_data)
        if criteria is not None:
            services.plan_set_success_criteria(plan=plan, items=criteria)
        return selectors.plan_get(pk=plan.pk, today=selectors.tenant_today())

    @transaction.atomic
    def update(self, instance, validated_data):
        """Criteria and plan fields in one transaction: any 400/409 leaves the plan as it was."""
        actor = self.context["view"].acting_user
        for key in ("account", "template", "start_date"):
            validated_data.pop(key, None)
        criteria = validated_data.pop("success_criteria", None)
        if criteria is not None:
            services.plan_set_success_criteria(plan=instance, items=criteria, actor=actor)
        services.plan_update(plan=instance, actor=actor, **validated_data)
        return selectors.plan_get(pk=instance.pk, today=selectors.tenant_today())


class TenantTodayMixin:
    """Serializers learn the tenant's today once per request (overdue flags, schedule status)."""

    def get_serializer_context(self):
        return super().get_serializer_context() | {"today": selectors.tenant_today()}


class GoLiveSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="The day the account went live (default: the tenant's today).")


class FirstValueSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, help_text="When first value was reached (default: now).")


class PlanFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id")
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    owner = django_filters.CharFilter(field_name="owner__email", lookup_expr="iexact", label="Owner email")

    class Meta:
        model = OnboardingPlan
        fields = ["account", "status", "owner"]


@extend_schema_view(
    list=extend_schema(summary="List onboarding plans"),
    create=extend_schema(
        summary="Start onboarding an account",
        description="Instantiates the template (or the tenant's default) from `start_date`: each phase and task "
        "dated start_date + its day offset, owners resolved from roles.",
    ),
    partial_update=extend_schema(summary="Edit a plan: owner, specialist, handoff, notes, success criteria, status"),
)
class OnboardingPlanViewSet(TenantTodayMixin, TenantModelViewSet):
    """Onboarding plans: phases with real dates and tasks, progress, go-live, first value, check-ins."""

    serializer_class = PlanSerializer
    filterset_class = PlanFilter
    write_capability = ONBOARDING_WRITE
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_base_queryset(self):
        return selectors.plan_api_queryset(schema_only=getattr(self, "swagger_fake_view", False))

    @extend_schema(
        request=FirstValueSerializer, responses={200: PlanSerializer, 400: OpenApiResponse(description="Bad time")},
        summary="Record first value (time to value on the plan and the account)",
    )
    @action(detail=True, methods=["post"], url_path="first-value")
    def first_value(self, request, pk=None):
        plan = self.get_object()
        body = FirstValueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.plan_record_first_value(plan=plan, at=body.validated_data.get("at"), actor=self.acting_user)
        fresh = selectors.plan_get(pk=plan.pk, today=selectors.tenant_today())
        return Response(self.get_serializer(fresh).data)

    @extend_schema(
        request=GoLiveSerializer, responses={200: PlanSerializer, 400: OpenApiResponse(description="Bad date")},
        summary="Record go-live (the go-live milestone; schedules the post-launch check-ins)",
        description="Completing a plan does not record go-live: go-live is its own milestone, and only recorded "
        "go-lives count towards operational by week 8. Recording it again changes nothing.",
    )
    @action(detail=True, methods=["post"], url_path="go-live")
    def go_live(self, request, pk=None):
        plan = self.get_object()
        body = GoLiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.plan_record_go_live(plan=plan, day=body.validated_data.get("date"), actor=self.acting_user)
        fresh = selectors.plan_get(pk=plan.pk, today=selectors.tenant_today())
        return Response(self.get_serializer(fresh).data)


class PlanTaskFilter(django_filters.FilterSet):
    plan = django_filters.NumberFilter(field_name="plan_id")
    status = django_filters.ChoiceFilter(choices=WorkStatus.choices)
    owner = django_filters.CharFilter(field_name="owner__email", lookup_expr="iexact", label="Owner email")

    class Meta:
        model = PlanTask
        fields = ["plan", "status", "owner"]


@extend_schema_view(
    list=extend_schema(summary="List onboarding plan tasks"),
    partial_update=extend_schema(
        summary="Update a plan task (status: not_started | in_progress | done | blocked)",
        description="Ticking the last task completes the plan (the account moves to adoption); a milestone task "
        "records its milestone (kickoff, first value with time to value, go-live with 30/60/90-day check-ins).",
    ),
)
class OnboardingTaskViewSet(
    TenantTodayMixin, TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    serializer_class = PlanTaskSerializer
    filterset_class = PlanTaskFilter
    write_capability = ONBOARDING_WRITE
    http_method_names = ["get", "patch", "head", "options"]

    def get_base_queryset(self):
        return selectors.plan_task_list()

