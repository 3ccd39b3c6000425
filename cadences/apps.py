from django.apps import AppConfig

from leads.panels import panel_register


class CadencesConfig(AppConfig):
    name = "cadences"
    verbose_name = "Cadences"

    def ready(self):
        from . import panels  # here: it imports models, which load after the app configs

        panel_register("lead_page", "cadences/_lead_panel.html", panels.cadence_panel, order=20)
        panel_register(
            "note_tools", "cadences/_snippet_picker.html", panels.snippet_picker, order=1
        )
        panel_register(
            "lead_list_bulk", "cadences/_enroll_controls.html", panels.enroll_controls, order=1
        )
