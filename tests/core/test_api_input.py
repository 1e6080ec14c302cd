"""Hostile input to the API: NUL bytes, lone surrogates, deep nesting, oversized bodies, and the
rule that everything under /api/v1/ answers JSON (never an HTML page), errors included."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account
from core.api.parsers import MAX_DEPTH, string_errors
from health.models import UsageRecord
from tests.factories.accounts import AccountFactory

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def raw_post(client, url, document, method="post"):
    """Send ``document`` as JSON text with escapes (``\\u0000``, a lone ``\\ud800``), as an attacker would."""
    return getattr(client, method)(url, data=json.dumps(document), content_type="application/json")


def assert_json(response, status):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()


# --- NUL and lone surrogates in any string of a JSON body ----------------------------------------

# (url, a valid-looking body with the bad value at {BAD}, the error key, the text the message names)
STRING_INPUTS = [
    ("/api/v1/accounts/", {"name": "{BAD}"}, "name", None),
    ("/api/v1/accounts/", {"name": "Acme", "external_id": "{BAD}"}, "external_id", None),
    ("/api/v1/accounts/", {"name": "Acme", "industry": "{BAD}"}, "industry", None),
    ("/api/v1/usage/", [{"account_external_id": "{BAD}", "date": "2026-01-01", "metric": "logins", "value": 1}],
     "0", "account_external_id"),
    ("/api/v1/usage/", [{"account": "{ACCOUNT}", "date": "2026-01-01", "metric": "logins", "value": 1},
                        {"account": "{ACCOUNT}", "date": "2026-01-01", "metric": "log{BAD}ins", "value": 1}],
     "1", "metric"),
    ("/api/v1/tickets/", {"account": "{ACCOUNT}", "subject": "{BAD}", "severity": 2}, "subject", None),
    ("/api/v1/kb/articles/", {"category": "x", "title": "T", "body": "{BAD}"}, "body", None),
    ("/api/v1/business-hours/", {"timezone": "UTC{BAD}", "intervals": [], "holidays": []}, "timezone", None),
    ("/api/v1/business-hours/", {"timezone": "UTC", "intervals": [], "holidays": ["2026-01-01{BAD}"]},
     "holidays", "0"),
]
BAD_VALUES = {"nul": "a\x00b", "surrogate": "a\ud800b"}


def _fill(document, bad: str, account_id: int):
    if isinstance(document, dict):
        return {k: _fill(v, bad, account_id) for k, v in document.items()}
    if isinstance(document, list):
        return [_fill(v, bad, account_id) for v in document]
    if document == "{ACCOUNT}":
        return account_id
    if isinstance(document, str):
        return document.replace("{BAD}", bad)
    return document


@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
@pytest.mark.parametrize(("url", "document", "key", "named"), STRING_INPUTS)
def test_a_nul_or_lone_surrogate_in_any_string_is_a_400_naming_the_field(api, tenant, url, document, key, named, bad):
    account = AccountFactory(tenant=tenant, name="Keep")
    method = "put" if url.endswith("business-hours/") else "post"
    started = time.monotonic()
    body = assert_json(raw_post(api, url, _fill(document, BAD_VALUES[bad], account.pk), method=method), 400)
    assert time.monotonic() - started < 2
    assert list(body) == [key], body
    message = body[key][0]
    expected = "null characters" if bad == "nul" else "surrogate characters are not allowed: U+D800"
    assert expected in message.lower().replace("u+d800", "U+D800"), message
    if named:
        assert message.startswith(f"{named}: "), message
    assert Account.all_tenants.count() == 1 and UsageRecord.all_tenants.count() == 0


def test_a_nul_in_a_dictionary_key_is_refused_too(api):
    body = assert_json(raw_post(api, "/api/v1/accounts/", {"name": "Acme", "bad\x00key": 1}), 400)
    assert body == {"bad\\x00key": ["Null characters are not allowed."]}


def test_surrogate_pairs_are_fine(api):
    """A properly escaped astral character (a pair of surrogates) is one ordinary character."""
    body = assert_json(raw_post(api, "/api/v1/accounts/", {"name": "Rocket \U0001f680"}), 201)
    assert body["name"] == "Rocket \U0001f680"


keys = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=8)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.characters(blacklist_categories=["Cs"],
                                                                                blacklist_characters="\x00")),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.dictionaries(keys, json_values, min_size=1, max_size=5), data=st.data())
def test_string_errors_name_the_top_level_field_of_any_bad_string(document, data):
    assert string_errors(document) == {}
    # Plant a NUL inside one string somewhere in the document and find it again.
    paths = []

    def walk(value, path):
        if isinstance(value, str):
            paths.append(path)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*path, i))
        elif isinstance(value, dict):
            for k, item in value.items():
                walk(item, (*path, k))

    walk(document, ())
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = target[path[-1]] + "\x00"
    errors = string_errors(document)
    assert list(errors) == [str(path[0])]
    inner = ".".join(str(p) for p in path[1:])
    assert errors[str(path[0])] == [f"{inner}: null characters are not allowed." if inner
                                    else "Null characters are not allowed."]


# --- Nesting, size ------------------------------------------------------------------------------


def test_deeply_nested_json_is_a_fast_400(api):
    started = time.monotonic()
    response = api.post("/api/v1/accounts/", data="[" * 100_000, content_type="application/json")
    body = assert_json(response, 400)
    assert "nested" in body["detail"]
    assert time.monotonic() - started < 2


def test_nesting_beyond_the_limit_is_refused_even_when_python_could_parse_it(api):
    document = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    body = assert_json(api.post("/api/v1/usage/", data=document, content_type="application/json"), 400)
    assert f"{MAX_DEPTH}" in body["detail"]


def test_a_body_over_the_upload_limit_is_a_413_in_json(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = assert_json(raw_post(api, "/api/v1/accounts/", {"name": "x" * 2000}), 413)
    assert "1000 bytes" in body["detail"]
    assert Account.all_tenants.count() == 0


# --- Query strings --------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "param"), [
    ("/api/v1/kb/articles/?q=a%00b", "q"),
    ("/api/v1/usage/?metric=log%00ins", "metric"),
    ("/api/v1/accounts/?search=a%00b", "search"),
])
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(api, url, param):
    body = assert_json(api.get(url), 400)
    assert list(body) == [param] and "Null characters" in body[param][0]


# --- Always JSON ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/api/v1/accounts/abc/", "/api/v1/accounts/abc/health/", "/api/v1/accounts/1.5/health/history/",
    "/api/v1/no-such-thing/", "/api/v1/",
])
@pytest.mark.parametrize("accept", ["application/json", BROWSER_ACCEPT])
def test_not_found_under_the_api_is_json(api, url, accept):
    assert assert_json(api.get(url, HTTP_ACCEPT=accept), 404) == {"detail": "Not found."}


def test_not_found_without_a_key_is_json_too(client):
    assert assert_json(client.get("/api/v1/no-such-thing/"), 404) == {"detail": "Not found."}


@pytest.mark.parametrize(("method", "url"), [
    ("post", "/api/v1/docs/"), ("post", "/api/v1/redoc/"), ("post", "/api/v1/schema/"),
    ("put", "/api/v1/accounts/"), ("delete", "/api/v1/usage/"),
])
@pytest.mark.parametrize("accept", ["*/*", BROWSER_ACCEPT])
def test_method_not_allowed_under_the_api_is_json(api, method, url, accept):
    response = getattr(api, method)(url, HTTP_ACCEPT=accept)
    assert assert_json(response, 405) == {"detail": f'Method "{method.upper()}" not allowed.'}
    assert response["Allow"]


def test_a_browser_reading_the_api_gets_json(api, tenant):
    AccountFactory(tenant=tenant)
    assert len(assert_json(api.get("/api/v1/accounts/", HTTP_ACCEPT=BROWSER_ACCEPT), 200)["results"]) == 1


def test_a_server_error_under_the_api_is_json(api, monkeypatch):
    from accounts.api import AccountViewSet

    def broken(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(AccountViewSet, "get_base_queryset", broken)
    api.raise_request_exception = False
    assert assert_json(api.get("/api/v1/accounts/"), 500) == {"detail": "A server error occurred."}


def test_pages_and_docs_still_answer_html(alice_client, api):
    assert alice_client.get("/no-such-page/")["Content-Type"].startswith("text/html")
    assert api.get("/api/v1/docs/")["Content-Type"].startswith("text/html")
