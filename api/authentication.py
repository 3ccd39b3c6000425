from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from . import services


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer sdr_<prefix>_<secret>``. A revoked or unknown token, or one
    whose user is inactive, answers 401."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send 'Authorization: Bearer <token>'."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        token = services.api_token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid or was revoked."))
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
