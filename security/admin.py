from django.contrib import admin

from audit.admin import AuditedAdmin

from .models import TOTPDevice


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(AuditedAdmin):
    """Only to remove the authenticator of someone who lost it; the secret is never shown."""

    list_display = ["user", "confirmed_at", "created_at", "locked_until"]
    fields = ["user", "confirmed_at", "created_at", "failed_codes", "locked_until"]
    readonly_fields = fields
    search_fields = ["user__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
