"""Onboarding data: the tenant's plan templates and the plans instantiated from them for accounts.

A template holds phases as day offsets from a plan's start (0-based: day 0 is the start date), each
with tasks (a due day inside the phase, an owner role, optional checklist items). A task may be a
milestone (kickoff held, first value reached, go-live). A plan copies its template with real dates
and resolved owners, so editing a template never changes running plans.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.models import Role, TenantModel


class Milestone(models.TextChoices):
    KICKOFF = "kickoff", "Kickoff held"
    FIRST_VALUE = "first_value", "First value reached"
    GO_LIVE = "go_live", "Go-live"


class WorkStatus(models.TextChoices):
    """Status of a plan task or phase."""

    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    BLOCKED = "blocked", "Blocked"


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class CriterionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    MET = "met", "Met"
    MISSED = "missed", "Missed"


# The sales handoff (RAG Fortress handbook, "Information Provided by Sales"): key -> label.
HANDOFF_FIELDS: dict[str, str] = {
    "key_contacts": "Key contacts (technical, business, executive)",
    "use_case": "Use case and expected outcomes",
    "implementation_timeline": "Implementation timeline and priorities",
    "integration_requirements": "Integration requirements",
    "data_volume": "Data volume and complexity",
    "budget_contract": "Budget approval and contract terms",
}

DEFAULT_CHECK_IN_DAYS = [30, 60, 90]


def default_check_in_days() -> list[int]:
    return list(DEFAULT_CHECK_IN_DAYS)


class OnboardingTemplate(TenantModel):
    """A tenant's onboarding plan template (one of them is the default for new plans)."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    # Prompts a kickoff answers to document success criteria, e.g. "What must work on go-live day?".
    success_criteria = models.JSONField(default=list, blank=True)
    # Days after go-live at which a check-in is scheduled for the account's CSM.
    check_in_days = models.JSONField(default=default_check_in_days, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant"], condition=Q(is_default=True), name="onb_template_one_default"),
            models.UniqueConstraint(fields=["tenant", "name"], name="onb_template_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class TemplatePhase(TenantModel):
    template = models.ForeignKey(OnboardingTemplate, on_delete=models.CASCADE, related_name="phases")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    start_day = models.PositiveIntegerField()
    end_day = models.PositiveIntegerField()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "template", "position"], name="onb_tphase_idx")]

    def __str__(self) -> str:
        return self.name


class TemplateTask(TenantModel):
    phase = models.ForeignKey(TemplatePhase, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    due_day = models.PositiveIntegerField()
    owner_role = models.CharField(max_length=32)
    milestone = models.CharField(max_length=16, choices=Milestone.choices, blank=True)
    checklist = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "phase", "position"], name="onb_ttask_idx")]

    def __str__(self) -> str:
        return self.title


class OnboardingPlan(TenantModel):
    """One account's onboarding: its template copied with real dates, owners, handoff and criteria."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="onboarding_plans")
    template = models.ForeignKey(
        OnboardingTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Runs the plan; receives the late-plan alert.",
    )
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The onboarding specialist assigned (owner of onboarding_specialist tasks).",
    )
    start_date = models.DateField()
    target_go_live_date = models.DateField()
    kickoff_date = models.DateField(null=True, blank=True)
    go_live_date = models.DateField(null=True, blank=True)
    first_value_at = models.DateTimeField(null=True, blank=True)
    time_to_value_days = models.PositiveIntegerField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    check_ins_scheduled_at = models.DateTimeField(null=True, blank=True)
    check_in_days = models.JSONField(default=default_check_in_days, blank=True)
    # Done tasks / all tasks, whole percent (floor), kept current by the task services.
    progress = models.PositiveSmallIntegerField(default=0)
    handoff = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account"], condition=Q(status="active"), name="onb_plan_one_active_per_account"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "start_date"], name="onb_plan_status_idx"),
            models.Index(fields=["tenant", "account", "-created_at"], name="onb_plan_account_idx"),
            models.Index(fields=["tenant", "owner", "status"], name="onb_plan_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def late_dedupe_key(self) -> str:
        return f"onboarding-late:{self.pk}"

    def check_in_dedupe_key(self, day: int) -> str:
        return f"onboarding-checkin:{self.pk}:{day}"


class PlanPhase(TenantModel):
    plan = models.ForeignKey(OnboardingPlan, on_delete=models.CASCADE, related_name="phases")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    start_date = models.DateField()
    due_date = models.DateField()
    status = models.CharField(max_length=16, choices=WorkStatus.choices, default=WorkStatus.NOT_STARTED)
    overdue = models.BooleanField(default=False, help_text="Marked by the daily overdue job.")

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "plan", "position"], name="onb_phase_plan_idx")]

    def __str__(self) -> str:
        return self.name


class PlanTask(TenantModel):
    plan = models.ForeignKey(OnboardingPlan, on_delete=models.CASCADE, related_name="tasks")
    phase = models.ForeignKey(PlanPhase, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    due_date = models.DateField()
    owner_role = models.CharField(max_length=32)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="onboarding_tasks"
    )
    status = models.CharField(max_length=16, choices=WorkStatus.choices, default=WorkStatus.NOT_STARTED)
    milestone = models.CharField(max_length=16, choices=Milestone.choices, blank=True)
    # [{"text": str, "done": bool}]
    checklist = models.JSONField(default=list, blank=True)
    overdue = models.BooleanField(default=False, help_text="Marked by the daily overdue job.")
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["tenant", "plan", "status"], name="onb_task_plan_idx"),
            models.Index(fields=["tenant", "owner", "status", "due_date"], name="onb_task_owner_idx"),
            models.Index(fields=["tenant", "status", "due_date"], name="onb_task_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner_role_label(self) -> str:
        return dict(Role.choices).get(self.owner_role, self.owner_role)


class SuccessCriterion(TenantModel):
    """A documented success criterion of a plan (from the template's prompts or added) and its status."""

    plan = models.ForeignKey(OnboardingPlan, on_delete=models.CASCADE, related_name="success_criteria")
    position = models.PositiveIntegerField(default=0)
    prompt = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=CriterionStatus.choices, default=CriterionStatus.PENDING)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "success criteria"
        indexes = [models.Index(fields=["tenant", "plan", "position"], name="onb_criterion_idx")]

    def __str__(self) -> str:
        return self.text or self.prompt
