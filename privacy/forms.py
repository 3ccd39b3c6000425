from django import forms
from django.utils.translation import gettext_lazy as _

from leads.normalize import normalize_email

CONFIRM_WORD = "erase"


class SubjectForm(forms.Form):
    """The address that names the data subject. Django's fields refuse a NUL byte, a value
    longer than an address can be, and anything that is not an address."""

    email = forms.EmailField(label=_("Email address"), max_length=254)

    def clean_email(self):
        return normalize_email(self.cleaned_data["email"])


class SubjectEraseForm(SubjectForm):
    confirm = forms.CharField(
        label=_('Type "erase" to confirm. This cannot be undone.'), max_length=20
    )
    reason = forms.CharField(
        label=_("Ticket reference or reason"),
        max_length=100,
        help_text=_(
            "For example DSR-2025-017. Kept in the audit log for good: never the person's "
            "name or address."
        ),
    )

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip().lower() != CONFIRM_WORD:
            raise forms.ValidationError(_('Type "erase" to confirm.'))
        return CONFIRM_WORD

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        # The audit log is append-only: an address written into it could never be erased.
        if "@" in reason:
            raise forms.ValidationError(
                _("Give a ticket reference, not an email address: the audit log keeps it.")
            )
        return reason
