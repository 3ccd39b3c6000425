"""The REST API: thin views that parse, start from the user's scope, call one service and
answer. Someone else's lead is not there (404); a forbidden change on a visible lead is 403;
a lead that moved, or a transition not possible now, is 409 with the current state.

By resource: ``leads``, ``qualification``, ``contacts`` (prospects and companies),
``cadences`` (and enrollments), ``today``; ``common`` holds what they share. The views are
re-exported here for ``api.urls``."""

from .cadences import (
    CadenceDetailView,
    CadenceListView,
    CadencePreviewView,
    EnrollmentDetailView,
    EnrollmentListView,
)
from .common import ERRORS, IdCursorPagination, _errors
from .contacts import CompanyDetailView, CompanyListView, ProspectDetailView, ProspectListView
from .leads import LeadDetailView, LeadListView, LeadTimelineView, LeadTransitionView
from .qualification import LeadQualificationView
from .today import TaskListView

__all__ = [
    "ERRORS",
    "CadenceDetailView",
    "CadenceListView",
    "CadencePreviewView",
    "CompanyDetailView",
    "CompanyListView",
    "EnrollmentDetailView",
    "EnrollmentListView",
    "IdCursorPagination",
    "LeadDetailView",
    "LeadListView",
    "LeadQualificationView",
    "LeadTimelineView",
    "LeadTransitionView",
    "ProspectDetailView",
    "ProspectListView",
    "TaskListView",
    "_errors",
]
