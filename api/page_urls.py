from django.urls import path

from . import pages

app_name = "api_pages"
urlpatterns = [
    path("api-tokens/", pages.api_tokens, name="tokens"),
    path("api-tokens/<int:token_id>/revoke/", pages.api_token_revoke, name="token_revoke"),
    path("webhooks/", pages.webhooks, name="webhooks"),
    path(
        "webhooks/subscriptions/<int:subscription_id>/toggle/",
        pages.webhook_toggle,
        name="webhook_toggle",
    ),
    path(
        "webhooks/deliveries/<int:delivery_id>/resend/",
        pages.webhook_resend,
        name="webhook_resend",
    ),
    path("webhooks/inbound-secret/", pages.inbound_secret_rotate, name="inbound_secret"),
]
