"""Surveys and advocacy: surveys (NPS, CSAT, post-implementation), responses, and the reference program.

One module per part (this package re-exports the models so Django and migrations find them).
"""

from advocacy.models.references import (
    AdvocacyActivity,
    AdvocacyActivityKind,
    AdvocacySource,
    AdvocateProfile,
    CaseStudy,
    CaseStudyStage,
    ReferenceKind,
    ReferenceRequest,
    ReferenceReward,
    ReferenceSettings,
    ReferenceStatus,
    RewardKind,
)
from advocacy.models.responses import NpsCategory, SurveyKind, SurveyResponse, nps_category
from advocacy.models.surveys import (
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
    # surveys: campaigns, sends, unsubscribes, settings
    "FATIGUE_PURPOSES", "PURPOSE_KIND", "AdvocacySettings", "SendStatus", "Survey", "SurveyPurpose", "SurveySend",
    "SurveyStatus", "Unsubscribe",
    # the reference program
    "AdvocacyActivity", "AdvocacyActivityKind", "AdvocacySource", "AdvocateProfile", "CaseStudy", "CaseStudyStage",
    "ReferenceKind", "ReferenceRequest", "ReferenceReward", "ReferenceSettings", "ReferenceStatus", "RewardKind",
]
