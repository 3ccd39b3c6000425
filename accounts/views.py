from django.shortcuts import redirect
from django.views.decorators.http import require_GET


@require_GET
def home(request):
    """Each role lands on its own starting page."""
    if request.user.is_marketing:
        return redirect("leads:overview")
    if request.user.is_prospector:
        return redirect("today")
    if request.user.is_privacy_officer:
        return redirect("privacy:subject")
    return redirect("leads:list")
