from django.apps import AppConfig

from leads.panels import panel_register


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Lead intake"

    def ready(self):
        from . import panels  # here: it imports models, which load after the app configs

        panel_register("lead_page", "intake/_inbound_panel.html", panels.inbound_panel, order=10)
