"""Surveys and advocacy: surveys (NPS, CSAT, post-implementation), responses, and the reference program.

One module per part (this package re-exports the models so Django and migrations find them).
"""

from advocacy.models.responses import NpsCategory, SurveyKind, SurveyResponse, nps_category

# --- surveys (campaigns, sends, unsubscribes, settings) ---
from advocacy.models.surveys import (  # noqa: E402, I001
    FATIGUE_PURPOSES,
    PURPOSE_KIND,
    AdvocacySettings,
    SendStatus,
    Survey,
    SurveyPurpose,
    SurveySend,
    SurveyStatus,
    Unsubscribe,
)

__all__ = [
    "NpsCategory", "SurveyKind", "SurveyResponse", "nps_category",
    "FATIGUE_PURPOSES", "PURPOSE_KIND", "AdvocacySettings", "SendStatus", "Survey", "SurveyPurpose", "SurveySend",
    "SurveyStatus", "Unsubscribe",
]
