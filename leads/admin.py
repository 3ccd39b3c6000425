from django import forms
from django.contrib import admin

from audit.admin import AuditedAdmin, ReadOnlyAdmin

from . import fields as lead_fields
from .models import Company, Lead, LeadEvent, Prospect


class TeamOwnedAdmin(AuditedAdmin):
    """A team is a workspace: a company or prospect stays in the team it was made for (its
    leads and prospects are that team's), so its team is chosen once, when it is added."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "team"] if obj is not None else fields


def _gated_form(model, gates: dict):
    """A ModelForm whose fields pass the lead field gate (leads/fields.py), as on every path."""

    def clean_with(name, gate):
        return lambda self: gate(self.cleaned_data.get(name))

    attrs = {f"clean_{name}": clean_with(name, gate) for name, gate in gates.items()}
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": "__all__"})
    return type(f"{model.__name__}AdminForm", (forms.ModelForm,), attrs)


_COMPANY_GATES = {
    name: lead_fields.LEAD_FIELDS[f"company_{name}"]
    for name in ("name", "website", "industry", "country", "time_zone", "linkedin_url")
}
_COMPANY_GATES["domain"] = lambda value: lead_fields.clean_domain(value) or None
_PROSPECT_GATES = {
    name: lead_fields.LEAD_FIELDS[name]
    for name in ("first_name", "last_name", "phone", "title", "linkedin_url", "time_zone")
}
_PROSPECT_GATES["email"] = lambda value: lead_fields.clean_email(value) or None


@admin.register(Company)
class CompanyAdmin(TeamOwnedAdmin):
    form = _gated_form(Company, _COMPANY_GATES)
    list_display = ["name", "domain", "team", "industry", "employee_count", "country"]
    search_fields = ["name", "domain"]
    list_filter = ["team", "industry", "country"]
    list_select_related = ["team"]
    show_full_result_count = False


@admin.register(Prospect)
class ProspectAdmin(TeamOwnedAdmin):
    form = _gated_form(Prospect, _PROSPECT_GATES)
    list_display = [
        "first_name", "last_name", "email", "team", "company", "title", "do_not_contact"
    ]  # fmt: skip
    search_fields = ["first_name", "last_name", "email"]
    list_filter = ["team"]
    list_select_related = ["company", "team"]
    raw_id_fields = ["company"]
    # Counted by the mailbox sync (cadences.services.email_record_soft_bounce).
    readonly_fields = ["email_soft_bounces"]
    show_full_result_count = False


class LeadEventInline(admin.TabularInline):
    model = LeadEvent
    fields = ["created_at", "kind", "actor", "from_state", "to_state", "body"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(AuditedAdmin):
    """Read-mostly: lifecycle changes go through the app's services, not the admin."""

    list_display = [
        "id",
        "prospect",
        "state",
        "source",
        "owner",
        "assigned_ae",
        "team",
        "created_at",
    ]
    list_filter = ["state", "source", "team"]
    search_fields = ["prospect__email", "prospect__last_name", "prospect__company__name"]
    list_select_related = ["prospect", "owner", "assigned_ae", "team"]
    raw_id_fields = ["prospect", "owner", "assigned_ae"]
    readonly_fields = ["state", "version", "created_at", "updated_at", "state_changed_at"]
    inlines = [LeadEventInline]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LeadEvent)
class LeadEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "lead", "kind", "actor", "from_state", "to_state"]
    list_filter = ["kind"]
    list_select_related = ["actor"]
    show_full_result_count = False
