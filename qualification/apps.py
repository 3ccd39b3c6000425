from django.apps import AppConfig

from leads.panels import panel_register


class QualificationConfig(AppConfig):
    name = "qualification"
    verbose_name = "Qualification"

    def ready(self):
        from . import panels  # here: it imports models, which load after the app configs

        panel_register(
            "lead_page", "qualification/_lead_panel.html", panels.qualification_panel, order=30
        )
