from datetime import UTC, datetime

import factory

from advocacy.models import Survey, SurveyResponse, SurveySend
from tests.factories.accounts import AccountFactory, TenantOwnedFactory
from tests.factories.tenancy import TenantFactory

__all__ = ["SurveyResponseFactory", "SurveyFactory", "SurveySendFactory"]


class SurveyResponseFactory(TenantOwnedFactory):
    class Meta:
        model = SurveyResponse

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    kind = "nps"
    score = 9
    responded_at = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


class SurveyFactory(TenantOwnedFactory):
    class Meta:
        model = Survey

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Q{n} NPS")
    kind = "nps"
    purpose = "nps_quarterly"
    question = "How likely are you to recommend us to a friend or colleague?"
    comment_question = "What is the main reason for your score?"
    email_subject = "A quick question"
    email_body = "We would love your feedback."


class SurveySendFactory(TenantOwnedFactory):
    class Meta:
        model = SurveySend

    survey = factory.SubFactory(SurveyFactory)
    tenant = factory.LazyAttribute(lambda o: o.survey.tenant)
    account = factory.SubFactory(AccountFactory, tenant=factory.SelfAttribute("..tenant"))
    contact = None
    email = factory.Sequence(lambda n: f"recipient{n}@customer.example")
    purpose = factory.LazyAttribute(lambda o: o.survey.purpose)
    status = "sent"
    sent_at = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
