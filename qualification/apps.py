from django.apps import AppConfig

from leads.guards import contact_guard_register
from leads.panels import panel_register


class QualificationConfig(AppConfig):
    name = "qualification"
    verbose_name = "Qualification"

    def ready(self):
        # Here: they import models, which load after the app configs.
        from . import guards, panels

        contact_guard_register(guards.hard_disqualified)

        panel_register(
            "lead_page", "qualification/_lead_panel.html", panels.qualification_panel, order=30
        )
