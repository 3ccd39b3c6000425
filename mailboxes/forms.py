"""The forms of the Mailbox page and the team's mailboxes page. They check shapes (numbers,
lengths, choices); what a server may be and whether a connection works is the services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .limits import RANGES
from .models import AuthKind, TransportSecurity

SECURITY_CHOICES = [
    (TransportSecurity.TLS.value, TransportSecurity.TLS.label),
    (TransportSecurity.STARTTLS.value, TransportSecurity.STARTTLS.label),
    (TransportSecurity.NONE.value, _("None (localhost only)")),
]


class PasswordConnectForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        label=_("Email address"),
        help_text=_("The address your cadence emails are sent from."),
    )
    username = forms.CharField(
        max_length=254,
        required=False,
        label=_("Username"),
        help_text=_("Usually the email address (used when left empty)."),
    )
    password = forms.CharField(
        max_length=1024,
        required=False,
        strip=False,
        label=_("Password or app password"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    imap_host = forms.CharField(max_length=253, label=_("IMAP server"))
    imap_port = forms.IntegerField(min_value=1, max_value=65535, label=_("IMAP port"))
    imap_security = forms.ChoiceField(choices=SECURITY_CHOICES, label=_("IMAP security"))
    smtp_host = forms.CharField(max_length=253, label=_("SMTP server"))
    smtp_port = forms.IntegerField(min_value=1, max_value=65535, label=_("SMTP port"))
    smtp_security = forms.ChoiceField(choices=SECURITY_CHOICES, label=_("SMTP security"))

    def __init__(self, *args, password_stored: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = (
            _("Leave empty to keep the stored one (it is never shown).")
            if password_stored
            else _("Stored encrypted, never shown again. Gmail and Google Workspace need an "
                   "app password here (made in the Google account's security settings).")
        )  # fmt: skip


class LimitsForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (least, most, label) in RANGES.items():
            self.fields[name] = forms.IntegerField(
                min_value=least,
                max_value=most,
                label=label,
                help_text=_("From %(least)d to %(most)d.") % {"least": least, "most": most},
            )


class OAuthStartForm(forms.Form):
    provider = forms.ChoiceField(
        choices=[(AuthKind.GOOGLE.value, "Google"), (AuthKind.MICROSOFT.value, "Microsoft")]
    )


class EmailViaForm(forms.Form):
    email_via = forms.ChoiceField(
        label=_("The team's cadence emails leave from"),
        choices=[
            ("mailbox", _("Each sender's own mailbox (recommended)")),
            ("site", _("The site-wide email backend")),
        ],
        widget=forms.RadioSelect,
    )
