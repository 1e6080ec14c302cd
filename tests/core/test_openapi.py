"""The OpenAPI schema describes accounts and contacts without warnings; the docs are served locally."""

import re

import pytest
from django.contrib.staticfiles import finders

from accounts import urls as accounts_urls
from tests.schema_support import clean_schema

pytestmark = pytest.mark.django_db


def test_accounts_and_contacts_schema_has_no_warnings_or_errors():
    schema = clean_schema(accounts_urls.api_urlpatterns)
    paths = schema["paths"]
    assert {"/api/v1/accounts/", "/api/v1/accounts/{id}/", "/api/v1/contacts/", "/api/v1/contacts/{id}/"} <= set(paths)
    assert set(paths["/api/v1/accounts/{id}/"]) >= {"get", "patch", "delete"}
    account = schema["components"]["schemas"]["Account"]["properties"]
    for field in ("id", "external_id", "name", "industry", "employee_count", "arr", "tier", "segment",
                  "lifecycle_stage", "csm", "renewal_date", "status", "health_score", "health_status", "created_at"):
        assert field in account, field
    assert account["segment"]["readOnly"] and account["health_score"]["readOnly"]
    assert account["csm"]["format"] == "email"
    contact = schema["components"]["schemas"]["Contact"]["properties"]
    for field in ("id", "account", "name", "email", "title", "role", "is_champion", "is_executive_sponsor", "left_company"):
        assert field in contact, field
    filters = {p["name"] for p in paths["/api/v1/accounts/"]["get"]["parameters"]}
    assert {"external_id", "segment", "health_status", "csm", "search", "page", "page_size"} <= filters
    # The error answers of API.md are described too.
    assert {"200", "401"} <= set(paths["/api/v1/accounts/"]["get"]["responses"])
    assert {"201", "400", "401", "403"} <= set(paths["/api/v1/contacts/"]["post"]["responses"])
    assert {"200", "400", "401", "403", "404"} <= set(paths["/api/v1/accounts/{id}/"]["patch"]["responses"])


def test_schema_endpoint_serves_the_whole_api(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.") and "/api/v1/accounts/" in schema["paths"]
    assert schema["components"].get("securitySchemes"), "the Bearer key scheme is documented"


def test_docs_are_served_locally(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html and "cdn" not in html.lower()
    assert "/api/v1/schema/" in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


def test_redoc_is_served_locally_without_web_fonts(client):
    response = client.get("/api/v1/redoc/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/" in html and "/api/v1/schema/" in html
    assert re.findall(r"""(?:src|href)=["']?(https?:)?//""", html) == []  # nothing from another origin
    assert "fonts.googleapis" not in html and "fonts.gstatic" not in html
    # Redoc's hard-coded footer logo (cdn.redoc.ly) is pointed at a local file before Redoc loads.
    assert html.index("js/redoc-local.js") < html.index("redoc.standalone.js")
    assert finders.find("js/redoc-local.js") and finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")
