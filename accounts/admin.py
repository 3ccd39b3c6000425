from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from audit.admin import AuditedAdmin
from audit.services import audit_record

from .models import ClosedDay, Team, User
from .services import team_closed_days_default


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ["name", "country", "language", "currency", "created_at"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # a new team starts with its country's closed days (24, 31 December…)
            team_closed_days_default(team=obj)


@admin.register(ClosedDay)
class ClosedDayAdmin(AuditedAdmin):
    """A team's closed days (its managers keep them on /team/calendar/). A yearly day counts
    its day and month only."""

    list_display = ["team", "on", "yearly", "label"]
    list_filter = ["team", "yearly"]
    list_select_related = ["team"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active", "is_staff"]
    list_select_related = ["team"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Sales team", {"fields": ("role", "team", "title", "phone", "time_zone", "language")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Sales team", {"fields": ("role", "team")}),)

    def log_change(self, request, obj, message):
        # The admin's "change password" page saves without save_model.
        if request.path.endswith("/password/"):
            audit_record(
                actor=request.user,
                target=obj,
                action="admin_password_change",
                changes={"password": (None, None)},
            )
        return super().log_change(request, obj, message)
