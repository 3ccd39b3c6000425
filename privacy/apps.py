from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Personal data: export and erasure"

    def ready(self) -> None:
        from anymail.signals import tracking

        from .tracking import on_tracking

        tracking.connect(on_tracking, dispatch_uid="privacy.tracking")
