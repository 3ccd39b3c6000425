from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import check_broker, check_database


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """200 when the database and the broker answer; 503 naming the failing part otherwise."""
    checks = {"database": check_database(), "broker": check_broker()}
    failing = [name for name, error in checks.items() if error]
    body = {
        "status": "ok" if not failing else "fail",
        "checks": {name: (error or "ok") for name, error in checks.items()},
    }
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=200 if not failing else 503)
