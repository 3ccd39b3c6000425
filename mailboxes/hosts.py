"""What a mailbox's servers may be (pure: no database, no network).

A host is a DNS name or an IP address, never a URL; a port is 1-65535 and agrees with the
security chosen where the port has a standard meaning (RFC 8314: 993 and 465 are implicit TLS,
143 and 587 STARTTLS), so a mix-up is named at once instead of ending in a time-out; a
connection without TLS is allowed to this machine only (the test suite's Dovecot), since
the password would otherwise cross the network in clear.

``PRESETS``: the servers of common providers, offered on the Mailbox page.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from sdrcrm.errors import Invalid

from .models import TransportSecurity

HOST_MAX = 253
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}

# (protocol, port) -> the one security that port speaks.
STANDARD_PORTS = {
    ("imap", 993): TransportSecurity.TLS,
    ("imap", 143): TransportSecurity.STARTTLS,
    ("smtp", 465): TransportSecurity.TLS,
    ("smtp", 587): TransportSecurity.STARTTLS,
}
PROTOCOL_NAMES = {"imap": "IMAP", "smtp": "SMTP"}


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    imap_host: str
    imap_port: int
    imap_security: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    note: str = ""


# Password (or app password) logins. Google and Microsoft also take OAuth (the buttons on the
# page), which their administrators increasingly require.
PRESETS = {
    p.key: p
    for p in (
        Preset(
            "gmail", "Gmail / Google Workspace", "imap.gmail.com", 993, "tls",
            "smtp.gmail.com", 587, "starttls",
            _("Needs an app password (two-step verification on) and IMAP turned on."),
        ),
        Preset(
            "microsoft", "Microsoft 365 / Outlook", "outlook.office365.com", 993, "tls",
            "smtp.office365.com", 587, "starttls",
            _("Microsoft 365 turned password logins off for most tenants: prefer the "
              "Microsoft button."),
        ),
        Preset(
            "domeneshop", "Domeneshop", "imap.domeneshop.no", 993, "tls",
            "smtp.domeneshop.no", 587, "starttls",
        ),
        Preset(
            "one", "one.com", "imap.one.com", 993, "tls", "send.one.com", 465, "tls",
        ),
    )
}  # fmt: skip


# Servers that file a copy of what is submitted in the Sent folder themselves.
SAVES_SENT_HOSTS = {"smtp.gmail.com", "smtp.office365.com"}


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine without asking DNS: ``localhost`` or a loopback
    address (127.0.0.0/8, ::1)."""
    name = host.strip().lower().rstrip(".")
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def clean_host(value: str, *, field: str) -> str:
    """The host as stored (trimmed, lower case, no trailing dot), or ``Invalid``."""
    host = (value or "").strip().lower().rstrip(".")
    if not host:
        raise Invalid(_("Enter the server's name, e.g. imap.example.com."), field=field)
    if len(host) > HOST_MAX:
        raise Invalid(
            _("A server name has at most %(max)d characters.") % {"max": HOST_MAX}, field=field
        )
    if "://" in host or "/" in host or (":" in host and not _is_ipv6(host)):
        raise Invalid(
            _("Enter only the server's name (e.g. imap.example.com), without a scheme, a port "
              "or a path: the port has its own field."),
            field=field,
        )  # fmt: skip
    if _is_ip(host):
        return host.strip("[]")
    if not all(_LABEL.fullmatch(label) for label in host.split(".")):
        raise Invalid(
            _("'%(host)s' is not a server name: letters, digits, hyphens and dots only.")
            % {"host": host[:60]},
            field=field,
        )
    return host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).version == 6
    except ValueError:
        return False


def check_server(protocol: str, host: str, port: int, security: str) -> None:
    """Refuse a port out of range, a standard port with the other security, and a connection
    without TLS to anything but this machine. ``protocol``: "imap" or "smtp"."""
    name = PROTOCOL_NAMES[protocol]
    if security not in TransportSecurity.values:
        raise Invalid(_("Choose TLS, STARTTLS or none."), field=f"{protocol}_security")
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise Invalid(
            _("A port is a number from 1 to 65535 (%(name)s is usually %(usual)s).")
            % {"name": name, "usual": "993" if protocol == "imap" else "587"},
            field=f"{protocol}_port",
        )
    expected = STANDARD_PORTS.get((protocol, port))
    if expected is not None and security != expected:
        raise Invalid(
            _("Port %(port)d is %(name)s with %(security)s: choose %(security)s, or the port "
              "that goes with %(chosen)s.")
            % {
                "port": port,
                "name": name,
                "security": TransportSecurity(expected).label,
                "chosen": TransportSecurity(security).label,
            },
            field=f"{protocol}_security",
        )  # fmt: skip
    if security == TransportSecurity.NONE and not is_loopback(host):
        raise Invalid(
            _("A connection without TLS would send the password in clear: it is allowed to a "
              "server on this machine only (localhost). Choose TLS or STARTTLS."),
            field=f"{protocol}_security",
        )  # fmt: skip
