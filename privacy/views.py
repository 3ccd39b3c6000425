"""Export and erasure pages for one prospect (managers and admins, on leads they see)."""

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from . import services


@require_GET
def prospect_export(request, lead_id: int):
    data = services.prospect_export(actor=request.user, lead_id=lead_id)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    filename = f"prospect-{data['prospect_id']}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def prospect_erase(request, lead_id: int):
    """GET asks to confirm; POST erases."""
    prospect = services.prospect_for(request.user, lead_id)
    if request.method == "POST":
        if request.POST.get("confirm") != "erase":
            messages.error(request, 'Type "erase" to confirm.')
            return redirect("privacy:erase", lead_id=lead_id)
        services.prospect_erase(actor=request.user, lead_id=lead_id)
        messages.success(
            request,
            "The prospect's personal data was erased. Their address stays suppressed "
            "(as a hash), so they are not emailed again.",
        )
        return redirect("leads:detail", lead_id=lead_id)
    return render(
        request,
        "privacy/erase.html",
        {"prospect": prospect, "lead_id": lead_id, "erased": services.prospect_is_erased(prospect)},
    )
