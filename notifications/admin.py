"""Read-only: notifications are written by the services of the apps that notify."""

from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "title", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "lead", "event"]
    show_full_result_count = False
