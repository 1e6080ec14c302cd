"""Give every existing tenant without onboarding templates the generic default (onboarding/defaults.py),
as new tenants get it from `tenant_create`."""

from django.db import migrations
from django.utils import timezone


def add_default_templates(apps, schema_editor):
    from onboarding.defaults import default_template

    Tenant = apps.get_model("tenancy", "Tenant")
    OnboardingTemplate = apps.get_model("onboarding", "OnboardingTemplate")
    TemplatePhase = apps.get_model("onboarding", "TemplatePhase")
    TemplateTask = apps.get_model("onboarding", "TemplateTask")
    # Historical models carry plain managers (no tenant filter); ``_base_manager`` is used to be sure.
    templates = OnboardingTemplate._base_manager
    with_templates = set(templates.values_list("tenant_id", flat=True).distinct())
    spec = default_template()
    for tenant_id in Tenant._base_manager.exclude(pk__in=with_templates).values_list("pk", flat=True):
        template = templates.create(
            tenant_id=tenant_id, name=spec["name"], description=spec["description"], is_default=True,
            success_criteria=spec["success_criteria"], check_in_days=spec["check_in_days"], created_at=timezone.now(),
        )
        for position, phase in enumerate(spec["phases"]):
            row = TemplatePhase._base_manager.create(
                tenant_id=tenant_id, template=template, position=position, name=phase["name"],
                start_day=phase["start_day"], end_day=phase["end_day"],
            )
            TemplateTask._base_manager.bulk_create([
                TemplateTask(
                    tenant_id=tenant_id, phase=row, position=j, title=task["title"], due_day=task["due_day"],
                    owner_role=task.get("owner_role") or "csm", milestone=task.get("milestone", ""),
                    checklist=task.get("checklist", []),
                )
                for j, task in enumerate(phase["tasks"])
            ])


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0001_initial"), ("tenancy", "0001_initial")]

    operations = [migrations.RunPython(add_default_templates, migrations.RunPython.noop)]
