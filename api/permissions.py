from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import IsAuthenticated


class DoesSalesWork(IsAuthenticated):
    """The API's default: a logged-in user (session or token) of a role of the sales work.
    Deny by default: a role that is not one (a privacy officer) gets 403 on every endpoint,
    even with a token made before the role changed."""

    message = _("Your role does not use the API.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.does_sales_work
