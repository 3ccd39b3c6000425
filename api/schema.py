def only_the_api(endpoints):
    """The schema documents the REST resources, not the webhooks receivers or the docs."""
    return [
        e
        for e in endpoints
        if e[0].startswith("/api/") and not e[0].startswith(("/api/webhooks/", "/api/docs/"))
    ]


from drf_spectacular.extensions import OpenApiAuthenticationExtension  # noqa: E402


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from Settings → API tokens (sdr_…).",
        }
