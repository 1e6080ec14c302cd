"""OpenAPI descriptions of the two ways to authenticate (drf-spectacular extensions)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tenancy.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key of one tenant: `Authorization: Bearer csp_<prefix>_<secret>`.",
        }


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tenancy.api_auth.TenantSessionAuthentication"
    name = "Session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid", "description": "The browser's session."}


class WriteKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tenancy.api_auth.WriteKeyAuthentication"
    name = "WriteKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic",
                "description": "Segment's form of an API key: the key as the user name, no password."}
