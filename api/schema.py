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


def integer_path_ids(result, generator, request, public):
    """Path ids are positive 64-bit integers (the URL pattern matches digits only)."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "path" and parameter["schema"].get("type") == "integer":
                    parameter["schema"].update(minimum=1, maximum=2**63 - 1)
    return result
