from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from leads.panels import panel_register


class CoachingConfig(AppConfig):
    name = "coaching"
    verbose_name = _("Coaching")

    def ready(self):
        from . import panels  # here: it imports models, which load after the app configs

        panel_register("lead_page", "coaching/_lead_panel.html", panels.coaching_panel, order=40)
