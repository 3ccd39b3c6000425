from django.contrib import admin
from django.db import transaction

from .models import AuditEntry
from .services import audit_record


class AuditedAdmin(admin.ModelAdmin):
    """Every save and delete made in this admin goes to the audit log, in its transaction."""

    def save_model(self, request, obj, form, change):
        if change:
            changes = {
                name: (form.initial.get(name), form.cleaned_data.get(name))
                for name in form.changed_data
            }
        else:
            changes = {name: (None, value) for name, value in form.cleaned_data.items()}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,
                target=obj,
                action="admin_change" if change else "admin_add",
                changes=changes,
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(actor=request.user, target=obj, action="admin_delete", changes={})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit_record(actor=request.user, target=obj, action="admin_delete", changes={})
            super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin that shows and never adds, changes or deletes (rows written by services)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read only: nobody edits or deletes the log (the database refuses it anyway)."""

    list_display = ["at", "actor_name", "action", "target_type", "target_id"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_name", "target_id"]
