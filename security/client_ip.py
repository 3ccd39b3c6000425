"""The address of the client a request comes from, for login throttling (django-axes'
AXES_CLIENT_IP_CALLABLE) and the web forms' rate limit.

Behind SDRCRM_PROXY_COUNT proxies, each appends the address it received the request from to
X-Forwarded-For, and REMOTE_ADDR is the nearest proxy. The client is then the entry that many
places from the right: the outermost proxy wrote it. Entries further left came from the
client itself and are not believed, so nobody can pose as another address."""

import ipaddress

from django.conf import settings


def _address(value: str) -> str | None:
    """``value`` as a normalised IP address (a port, as some proxies add, is dropped), or
    None when it is not one."""
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.7:443
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.SDRCRM_PROXY_COUNT
    if proxies <= 0:
        return remote
    chain = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(chain) < proxies:
        # Not through every proxy (a request straight to the app): only the peer is known.
        return remote
    return _address(chain[-proxies]) or remote
