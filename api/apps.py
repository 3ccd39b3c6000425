from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API and webhooks"

    def ready(self):
        from . import receivers, schema  # noqa: F401  (anymail's signals; the schema's auth)
