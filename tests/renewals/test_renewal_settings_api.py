"""``/api/v1/renewal-settings/``: read by any key or member, changed with ``renewals.configure``; bad input is
400 naming the field and writes nothing."""

from __future__ import annotations

import pytest

from renewals.models import RenewalSettings
from renewals.models.renewal import DEFAULT_CHURN_REASONS, DEFAULT_MOTIONS

URL = "/api/v1/renewal-settings/"


def test_defaults_then_a_change(api):
    body = api.get(URL).json()
    assert body["window_days"] == 120 and [m["offset"] for m in body["motions"]] == [m["offset"] for m in DEFAULT_MOTIONS]
    assert body["churn_reasons"] == list(DEFAULT_CHURN_REASONS)
    motions = [{"offset": 90, "steps": ["Health review", "Stakeholder mapping"]}, {"offset": 30, "steps": ["Sign"]}]
    response = api.patch(URL, {"window_days": 150, "motions": motions, "churn_reasons": ["Budget", "Merger"]},
                         format="json")
    assert response.status_code == 200, response.json()
    body = api.get(URL).json()
    assert (body["window_days"], body["motions"], body["churn_reasons"]) == (150, motions, ["Budget", "Merger"])
    assert body["term_months"] == 12  # untouched


@pytest.mark.parametrize(("body", "field"), [
    ({"window_days": 0}, "window_days"),
    ({"window_days": "soon"}, "window_days"),
    ({"term_months": -1}, "term_months"),
    ({"motions": [{"offset": "x", "steps": []}]}, "motions"),
    ({"window_days": 90, "churn_reasons": "Budget"}, "churn_reasons"),
])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api, body, field):
    response = api.patch(URL, body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not RenewalSettings.all_tenants.exists()


def test_changing_needs_the_configure_capability(client, member, api_readonly):
    client.force_login(member())  # a CSM
    assert client.get(URL).status_code == 200
    assert client.patch(URL, {"window_days": 60}, content_type="application/json").status_code == 403
    assert api_readonly.patch(URL, {"window_days": 60}, format="json").status_code == 403
    assert not RenewalSettings.all_tenants.exists()
