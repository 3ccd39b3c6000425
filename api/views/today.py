"""The Today queue."""

from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework.response import Response
from rest_framework.views import APIView

from cadences import selectors as cadence_selectors

from .. import serializers as s
from .common import (
    _errors,
)

# --- The Today queue --------------------------------------------------------------------------


class TaskListView(APIView):
    @extend_schema(operation_id="tasks_list", responses={200: s.TasksOut, **_errors(401, 429)})
    def get(self, request):
        queue = cadence_selectors.today_queue(user=request.user)
        return Response(
            {
                "overdue_count": queue.overdue_count,
                "done_today": queue.done_today,
                "target": queue.target,
                "upcoming": queue.upcoming,
                "results": [
                    {
                        "kind": i.kind,
                        "id": i.obj.pk,
                        "lead_id": i.lead.pk,
                        "lead_name": i.lead_name,
                        "company": i.company,
                        "due_at": i.due_at.isoformat(),
                        "overdue": i.overdue,
                        "label": i.label,
                    }
                    for i in queue.items
                ],
            }  # fmt: skip
        )
