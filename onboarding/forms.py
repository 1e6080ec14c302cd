"""Forms of the onboarding pages. The template editor is a formset of phases, each with a nested formset of
tasks, that hands the services the API's phase/task structure, so the browser and the API share one
validation (`onboarding.structure`)."""

from __future__ import annotations

from django import forms
from django.forms.utils import ErrorList
from django.utils import timezone

from onboarding.models import HANDOFF_FIELDS, CriterionStatus, Milestone, WorkStatus
from tenancy.models import Role
from tenancy.permissions import role_can_own_work

MAX_PHASES = 60
MAX_TASKS_PER_PHASE = 60
BLANK_TASK_ROWS = 2
BLANK_NEW_PHASE_TASK_ROWS = 3


class PlanStartForm(forms.Form):
    template = forms.TypedChoiceField(coerce=int, label="Template")
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Start date")

    def __init__(self, *args, templates: list[tuple[int, str]], today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = templates
        self.fields["start_date"].initial = today or timezone.localdate()


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(choices=WorkStatus.choices)


class HandoffForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in HANDOFF_FIELDS.items():
            self.fields[key] = forms.CharField(
                label=label, required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
            )


class NotesForm(forms.Form):
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class CriterionForm(forms.Form):
    text = forms.CharField(required=False, max_length=5000, widget=forms.TextInput())
    status = forms.ChoiceField(choices=CriterionStatus.choices)


class CriterionAddForm(forms.Form):
    text = forms.CharField(max_length=5000, label="New success criterion")


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    is_default = forms.BooleanField(required=False, label="Default template for new plans")
    success_criteria = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Success criteria prompts",
        help_text="One per line; each plan starts with them to document at kickoff.",
    )
    check_in_days = forms.CharField(
        required=False, initial="30, 60, 90", label="Check-ins (days after go-live)",
        help_text="Comma-separated, e.g. 30, 60, 90.",
    )

    def clean_success_criteria(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["success_criteria"].splitlines() if line.strip()]

    def clean_check_in_days(self) -> list[int]:
        raw = [part.strip() for part in self.cleaned_data["check_in_days"].replace(";", ",").split(",") if part.strip()]
        try:
            return [int(part) for part in raw]
        except ValueError:
            raise forms.ValidationError("Use whole numbers of days, e.g. 30, 60, 90.") from None

    @classmethod
    def initial_for(cls, template) -> dict:
        return {
            "name": template.name, "description": template.description, "is_default": template.is_default,
            "success_criteria": "\n".join(template.success_criteria or []),
            "check_in_days": ", ".join(str(d) for d in template.check_in_days or []),
        }


ROLE_CHOICES = [(value, label) for value, label in Role.choices if role_can_own_work(value)]
MILESTONE_CHOICES = [("", "—"), *Milestone.choices]


# --------------------------------------------------------------------------- template editor (formsets)
#
# Phases are a formset (prefix "phase"); each phase form carries its tasks as a nested formset (prefix
# "phase-<i>-task"). The forms only collect what was typed: `PhaseFormSet.structure()` hands the phases to
# the services as the API's body would be, and `onboarding.structure` validates both alike.


class TemplateTaskForm(forms.Form):
    """One task row. A row without a title is skipped."""

    title = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": "New task"}))
    due_day = forms.CharField(
        required=False, widget=forms.NumberInput(attrs={"min": 0, "class": "onb-num", "aria-label": "Due day"})
    )
    owner_role = forms.CharField(
        required=False, initial=Role.ONBOARDING_SPECIALIST,
        widget=forms.Select(choices=ROLE_CHOICES, attrs={"aria-label": "Owner role"}),
    )
    milestone = forms.CharField(
        required=False, widget=forms.Select(choices=MILESTONE_CHOICES, attrs={"aria-label": "Milestone"})
    )
    checklist = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 1, "aria-label": "Checklist (one item per line)"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].widget.attrs["rows"] = max(1, len(str(self["checklist"].value() or "").splitlines()))

    def row(self) -> dict | None:
        data = getattr(self, "cleaned_data", {})
        if not data.get("title") or data.get("DELETE"):
            return None
        return {
            "title": data["title"], "due_day": data.get("due_day", ""), "owner_role": data.get("owner_role", ""),
            "milestone": data.get("milestone", ""),
            "checklist": [line.strip() for line in data.get("checklist", "").splitlines() if line.strip()],
        }


class BaseTaskFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        return [row for row in (form.row() for form in self.forms) if row is not None]


TaskFormSet = forms.formset_factory(
    TemplateTaskForm, formset=BaseTaskFormSet, extra=BLANK_TASK_ROWS, can_delete=True,
    max_num=MAX_TASKS_PER_PHASE, absolute_max=MAX_TASKS_PER_PHASE,
)


class TemplatePhaseForm(forms.Form):
    """One phase; its tasks are ``self.tasks`` (added by the phase formset). A phase without a name and
    without tasks is skipped."""

    name = forms.CharField(required=False, label="Phase name")
    start_day = forms.CharField(required=False, label="Start day", widget=forms.NumberInput(attrs={"min": 0}))
    end_day = forms.CharField(required=False, label="End day", widget=forms.NumberInput(attrs={"min": 0}))

    tasks: BaseTaskFormSet

    def phase(self) -> dict | None:
        data = getattr(self, "cleaned_data", {})
        if data.get("DELETE"):
            return None
        tasks = self.tasks.rows()
        if not data.get("name") and not tasks:
            return None
        return {"name": data.get("name", ""), "start_day": data.get("start_day", ""),
                "end_day": data.get("end_day", ""), "tasks": tasks}


class BasePhaseFormSet(forms.BaseFormSet):
    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        initial_tasks = form.initial.get("tasks") or []
        form.tasks = TaskFormSet(
            form.data if form.is_bound else None, initial=initial_tasks or None, prefix=f"{form.prefix}-task"
        )
        if not initial_tasks:
            form.tasks.extra = BLANK_NEW_PHASE_TASK_ROWS

    def is_valid(self) -> bool:
        valid = super().is_valid()  # every form and the management form
        return all([valid, *(form.tasks.is_valid() for form in self.forms)])

    def non_form_errors(self) -> ErrorList:
        """The phases' and every phase's tasks' (a missing management form, too many rows)."""
        errors = ErrorList(super().non_form_errors())
        for form in self.forms:
            errors.extend(form.tasks.non_form_errors())
        return errors

    def structure(self) -> list[dict]:
        """The phases and tasks as typed, blank rows and rows marked "remove" left out."""
        return [phase for phase in (form.phase() for form in self.forms) if phase is not None]


PhaseFormSet = forms.formset_factory(
    TemplatePhaseForm, formset=BasePhaseFormSet, extra=1, can_delete=True, max_num=MAX_PHASES, absolute_max=MAX_PHASES
)


def phase_formset(data=None, *, template=None) -> BasePhaseFormSet:
    """The editor's phases: a template's (phases and tasks prefetched) with blank rows to fill in, one blank
    phase at the end; or what was posted."""
    return PhaseFormSet(data, initial=structure_from_template(template) if template else None, prefix="phase")


def structure_from_template(template) -> list[dict]:
    """The formsets' initial rows for a template (phases and tasks prefetched)."""
    return [
        {
            "name": phase.name, "start_day": phase.start_day, "end_day": phase.end_day,
            "tasks": [
                {"title": t.title, "due_day": t.due_day, "owner_role": t.owner_role, "milestone": t.milestone,
                 "checklist": "\n".join(t.checklist or [])}
                for t in phase.tasks.all()
            ],
        }
        for phase in template.phases.all()
    ]


class GoLiveForm(forms.Form):
    date = forms.DateField(required=False, label="Went live on", widget=forms.DateInput(attrs={"type": "date"}))
