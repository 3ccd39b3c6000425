from django.shortcuts import redirect


def home(request):
    """Each role lands on its own starting page."""
    if request.user.is_marketing:
        return redirect("leads:overview")
    if request.user.is_prospector:
        return redirect("today")
    return redirect("leads:list")
