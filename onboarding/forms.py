"""Forms of the onboarding pages. The template editor posts phases and tasks as numbered rows
(``p0-name``, ``p0-t1-title``...) that `parse_structure` turns into the API's phase/task structure,
so the browser and the API share one validation (`services.clean_structure`)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from onboarding.models import HANDOFF_FIELDS, CriterionStatus, Milestone, WorkStatus
from tenancy.models import Role
from tenancy.permissions import role_can_own_work

MAX_PHASES = 60
MAX_TASKS_PER_PHASE = 60
BLANK_TASK_ROWS = 2


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


def structure_from_template(template) -> list[dict]:
    """The editor's rows for a template (phases and tasks prefetched)."""
    return [
        {
            "name": phase.name, "start_day": phase.start_day, "end_day": phase.end_day,
            "tasks": [
                {"title": t.title, "due_day": t.due_day, "owner_role": t.owner_role, "milestone": t.milestone,
                 "checklist": list(t.checklist or [])}
                for t in phase.tasks.all()
            ],
        }
        for phase in template.phases.all()
    ]


def parse_structure(data) -> list[dict]:
    """Phases and tasks from the editor's POST. Blank rows and rows ticked for deletion are dropped;
    values stay as typed (the service validates and reports them)."""
    phases = []
    for i in range(min(_count(data, "phase_count"), MAX_PHASES)):
        prefix = f"p{i}-"
        if data.get(prefix + "delete"):
            continue
        tasks = []
        for j in range(min(_count(data, prefix + "task_count"), MAX_TASKS_PER_PHASE)):
            tp = f"{prefix}t{j}-"
            title = data.get(tp + "title", "").strip()
            if not title or data.get(tp + "delete"):
                continue
            tasks.append(
                {
                    "title": title, "due_day": data.get(tp + "due_day", "").strip(),
                    "owner_role": data.get(tp + "owner_role", ""), "milestone": data.get(tp + "milestone", ""),
                    "checklist": [line.strip() for line in data.get(tp + "checklist", "").splitlines() if line.strip()],
                }
            )
        name = data.get(prefix + "name", "").strip()
        if not name and not tasks:
            continue
        phases.append(
            {"name": name, "start_day": data.get(prefix + "start_day", "").strip(),
             "end_day": data.get(prefix + "end_day", "").strip(), "tasks": tasks}
        )
    return phases


def _count(data, key: str) -> int:
    try:
        return max(0, int(data.get(key, 0)))
    except (TypeError, ValueError):
        return 0


def with_blank_rows(phases: list[dict]) -> list[dict]:
    """Rows to render: each phase with blank task rows to fill in, and one blank phase at the end."""
    blank_task = {"title": "", "due_day": "", "owner_role": Role.ONBOARDING_SPECIALIST, "milestone": "", "checklist": []}
    rows = [dict(p, tasks=[*p["tasks"], *[dict(blank_task) for _ in range(BLANK_TASK_ROWS)]]) for p in phases]
    rows.append({"name": "", "start_day": "", "end_day": "", "tasks": [dict(blank_task) for _ in range(3)]})
    return rows


class GoLiveForm(forms.Form):
    date = forms.DateField(required=False, label="Went live on", widget=forms.DateInput(attrs={"type": "date"}))
