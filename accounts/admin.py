from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from audit.admin import AuditedAdmin
from audit.services import audit_record

from .models import Team, User


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ["name", "language", "currency", "created_at"]
    search_fields = ["name"]


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
