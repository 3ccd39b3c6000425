"""The OAuth apps an admin registers for Google and Microsoft sign-in (docs/mailboxes.md).
The client secret is written encrypted and never displayed; the audit log records that it
changed, not what it is."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditedAdmin

from . import crypto, oauth
from .models import AuthKind, OAuthClient


class OAuthClientForm(forms.ModelForm):
    new_client_secret = forms.CharField(
        required=False,
        max_length=1024,
        strip=True,
        label=_("Client secret"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again. Leave empty to keep the stored one."),
    )

    class Meta:
        model = OAuthClient
        fields = ["provider", "client_id", "tenant"]
        help_texts = {
            "client_id": _(
                "Google: the OAuth client's id; Microsoft: the Application (client) ID."
            ),  # fmt: skip
            "tenant": _(
                "Microsoft only: 'organizations' (any work account), or your directory "
                "(tenant) id or domain to admit your organisation only."
            ),  # fmt: skip
        }

    def clean_client_id(self):
        value = self.cleaned_data["client_id"].strip()
        if any(ord(c) < 33 for c in value):
            raise forms.ValidationError(_("A client id has no spaces or control characters."))
        return value

    def clean_tenant(self):
        tenant = (self.cleaned_data.get("tenant") or "").strip() or "organizations"
        if not oauth.valid_tenant(tenant):
            raise forms.ValidationError(
                _("A tenant is 'organizations', 'common', a directory id or a domain.")
            )
        return tenant

    def clean(self):
        cleaned = super().clean()
        secret = cleaned.get("new_client_secret", "")
        if not secret and not (self.instance.pk and self.instance.client_secret):
            self.add_error("new_client_secret", _("Enter the client secret."))
        if secret and any(ord(c) < 32 for c in secret):
            self.add_error("new_client_secret", _("A client secret is one line."))
        return cleaned

    def save(self, commit=True):
        client = super().save(commit=False)
        if self.cleaned_data.get("new_client_secret"):
            client.client_secret = crypto.encrypt(self.cleaned_data["new_client_secret"])
        client.updated_at = timezone.now()
        if commit:
            client.save()
        return client


@admin.register(OAuthClient)
class OAuthClientAdmin(AuditedAdmin):
    form = OAuthClientForm
    list_display = ["provider", "client_id", "tenant", "secret_stored", "updated_at"]
    readonly_fields = ["redirect_uri", "scopes"]
    fields = ["provider", "client_id", "new_client_secret", "tenant", "redirect_uri", "scopes"]

    @admin.display(boolean=True, description=_("Secret stored"))
    def secret_stored(self, obj):
        return bool(obj.client_secret)

    @admin.display(description=_("Redirect URI to register"))
    def redirect_uri(self, obj):
        return settings.SDRCRM_BASE_URL.rstrip("/") + reverse("mailboxes:oauth_callback")

    @admin.display(description=_("Scopes to grant"))
    def scopes(self, obj):
        if obj is None or not obj.provider:
            return ", ".join(
                f"{oauth.provider_for(kind).name}: {' '.join(oauth.provider_for(kind).scopes)}"
                for kind in (AuthKind.GOOGLE, AuthKind.MICROSOFT)
            )
        return " ".join(oauth.provider_for(obj.provider).scopes)
