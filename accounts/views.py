from django.shortcuts import redirect
from django.views.decorators.http import require_GET

# Where each role starts its day (issue 20): "/" and the login land there. By URL name: the
# pages belong to apps above this one.
START_PAGES = (
    ("is_prospector", "today"),  # SDRs and BDRs: their queue of touches
    ("is_ae", "qualification:queue"),  # AEs: the hand-offs waiting for them
    ("is_manager", "dashboards:pipeline"),  # managers: the team's pipeline
    ("is_marketing", "intake:list"),  # marketing: the list imports
    ("is_privacy_officer", "privacy:subject"),
)


@require_GET
def home(request):
    """Each role lands on its own starting page; anyone else (an admin) on the lead list."""
    for role, page in START_PAGES:
        if getattr(request.user, role):
            return redirect(page)
    return redirect("leads:list")
