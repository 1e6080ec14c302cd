"""The generic onboarding template every new tenant starts with (pure data, no Django).

A common reading of the handbooks in ``../shared/seeds/``: a sales handoff and kickoff in week 1,
technical setup and data in weeks 2-3, training and first value in weeks 4-5, go-live preparation and
go-live in weeks 6-7, then the 30/60/90-day check-ins for the CSM. Tasks without an ``owner_role`` go to
the account's CSM. Tenants edit or replace it on the onboarding templates page; the data migration
``0002_default_template`` gives it to tenants that existed before it, in the same shape.
"""

from __future__ import annotations

from copy import deepcopy

OS = "onboarding_specialist"

DEFAULT_TEMPLATE: dict = {
    "name": "Standard onboarding (7 weeks)",
    "description": (
        "A generic plan: sales handoff and kickoff in week 1, setup and data in weeks 2-3, training and first "
        "value in weeks 4-5, go-live in weeks 6-7, then 30/60/90-day check-ins. Edit it to fit how you onboard."
    ),
    "success_criteria": [
        "Use case and expected outcomes (from the sales handoff)",
        "What must work on go-live day?",
        "Adoption target at 90 days",
        "How ROI and business impact will be measured",
    ],
    "check_in_days": [30, 60, 90],
    "phases": [
        {"name": "Kickoff", "start_day": 0, "end_day": 6, "tasks": [
            {"title": "Review the sales handoff", "due_day": 0, "owner_role": OS, "checklist": [
                "Key contacts (technical, business, executive)", "Use case and expected outcomes",
                "Integration requirements", "Timeline and priorities"]},
            {"title": "Send the welcome email and schedule the kickoff", "due_day": 1},
            {"title": "Kickoff meeting held", "due_day": 4, "owner_role": OS, "milestone": "kickoff", "checklist": [
                "Introductions and roles", "Success criteria documented", "Timeline agreed"]},
        ]},
        {"name": "Setup and data", "start_day": 7, "end_day": 20, "tasks": [
            {"title": "Provision accounts, access and single sign-on", "due_day": 9, "owner_role": OS},
            {"title": "Connect integrations and import data", "due_day": 16, "owner_role": OS},
            {"title": "Configure for the customer's use case", "due_day": 20, "owner_role": OS},
        ]},
        {"name": "Training and first value", "start_day": 21, "end_day": 34, "tasks": [
            {"title": "Train admins", "due_day": 24, "owner_role": OS},
            {"title": "Train end users", "due_day": 28, "owner_role": OS},
            {"title": "First value reached", "due_day": 34, "milestone": "first_value"},
        ]},
        {"name": "Go-live", "start_day": 35, "end_day": 48, "tasks": [
            {"title": "Go-live readiness review", "due_day": 40, "owner_role": OS, "checklist": [
                "Testing complete", "Users trained", "Support contacts known"]},
            {"title": "Go-live", "due_day": 44, "owner_role": OS, "milestone": "go_live"},
            {"title": "Hand over to the CSM: adoption plan and check-ins", "due_day": 48},
        ]},
    ],
}


def default_template() -> dict:
    """A fresh copy of the generic template, ready for ``services.template_create(**...)``."""
    return deepcopy(DEFAULT_TEMPLATE)
