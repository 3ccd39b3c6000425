from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security: sessions and two-factor"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (session start time on login)
