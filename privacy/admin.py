from django import forms
from django.contrib import admin

from audit.admin import AuditedAdmin
from suppression.models import Suppression


class SuppressionForm(forms.ModelForm):
    class Meta:
        model = Suppression
        fields = ["email", "domain", "reason"]
        help_texts = {
            "email": "One address …",
            "domain": "… or a whole domain, e.g. example.com: every address at it.",
        }

    def clean(self):
        data = super().clean()
        email, domain = data.get("email"), (data.get("domain") or "").strip().lower()
        if bool(email) == bool(domain):
            raise forms.ValidationError("Give either an address or a domain.")
        if domain and ("." not in domain or "@" in domain):
            self.add_error("domain", "Type a domain such as example.com.")
        data["domain"] = domain or None
        data["email"] = email or None
        return data


@admin.register(Suppression)
class SuppressionAdmin(AuditedAdmin):
    """The suppression list: addresses and domains never emailed. Entries of erased people
    (only the hash is left) cannot be deleted."""

    form = SuppressionForm
    list_display = ["__str__", "domain", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email", "domain"]
    readonly_fields = ["email_hash", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # an entry is added or deleted, never rewritten
            return ["email", "domain", "reason", "email_hash", "created_at"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.email is not None or obj.domain is not None
