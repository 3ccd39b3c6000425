"""mailboxes/hosts.py: what a server may be (pure)."""

# ruff: noqa: E501  (the tables of cases and the messages read best one a line)

import pytest

from mailboxes.hosts import PRESETS, check_server, clean_host, is_loopback
from sdrcrm.errors import Invalid


@pytest.mark.parametrize(
    "value, stored",
    [
        ("imap.fjord.example", "imap.fjord.example"),
        ("  IMAP.Fjord.Example.  ", "imap.fjord.example"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("2001:db8::25", "2001:db8::25"),
        ("mail-1.xn--fjrd-ora.no", "mail-1.xn--fjrd-ora.no"),
    ],
)
def test_a_host_is_stored_trimmed_and_lower_case(value, stored):
    assert clean_host(value, field="imap_host") == stored


@pytest.mark.parametrize(
    "value, says",
    [
        ("", "Enter the server's name, e.g. imap.example.com."),
        ("   ", "Enter the server's name, e.g. imap.example.com."),
        ("imaps://imap.fjord.example", "without a scheme, a port or a path"),
        ("imap.fjord.example:993", "without a scheme, a port or a path"),
        ("imap.fjord.example/inbox", "without a scheme, a port or a path"),
        ("imap fjord.example", "is not a server name"),
        ("-imap.fjord.example", "is not a server name"),
        ("imap..fjord.example", "is not a server name"),
        ("imap.fjord.example\r\nRCPT", "is not a server name"),
        ("a" * 64 + ".example", "is not a server name"),
        ("a." * 127 + "ab", "at most 253 characters"),
    ],
)
def test_a_host_that_is_not_one_is_refused_with_a_reason(value, says):
    with pytest.raises(Invalid) as refused:
        clean_host(value, field="smtp_host")
    assert says in str(refused.value)
    assert refused.value.field == "smtp_host"


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("localhost", True), ("LOCALHOST.", True), ("127.0.0.1", True), ("127.3.4.5", True),
        ("::1", True), ("[::1]", True), ("10.0.0.5", False), ("192.168.1.1", False),
        ("localhost.fjord.example", False), ("imap.fjord.example", False), ("0.0.0.0", False),
    ],
)  # fmt: skip
def test_loopback_is_known_without_asking_dns(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    "protocol, host, port, security",
    [
        ("imap", "imap.fjord.example", 993, "tls"),
        ("imap", "imap.fjord.example", 143, "starttls"),
        ("imap", "imap.fjord.example", 10993, "tls"),  # a non-standard port: any security
        ("smtp", "smtp.fjord.example", 587, "starttls"),
        ("smtp", "smtp.fjord.example", 465, "tls"),
        ("smtp", "smtp.fjord.example", 2525, "starttls"),
        ("imap", "127.0.0.1", 14300, "none"),
        ("smtp", "localhost", 10025, "none"),
    ],
)
def test_a_sound_server_passes(protocol, host, port, security):
    check_server(protocol, host, port, security)


@pytest.mark.parametrize(
    "protocol, host, port, security, field, says",
    [
        ("imap", "imap.fjord.example", 0, "tls", "imap_port", "A port is a number from 1 to 65535 (IMAP is usually 993)."),
        ("smtp", "smtp.fjord.example", 65536, "tls", "smtp_port", "A port is a number from 1 to 65535 (SMTP is usually 587)."),
        ("imap", "imap.fjord.example", 993, "starttls", "imap_security", "Port 993 is IMAP with TLS: choose TLS, or the port that goes with STARTTLS."),
        ("imap", "imap.fjord.example", 143, "tls", "imap_security", "Port 143 is IMAP with STARTTLS: choose STARTTLS, or the port that goes with TLS."),
        ("smtp", "smtp.fjord.example", 465, "starttls", "smtp_security", "Port 465 is SMTP with TLS: choose TLS, or the port that goes with STARTTLS."),
        ("smtp", "smtp.fjord.example", 587, "tls", "smtp_security", "Port 587 is SMTP with STARTTLS: choose STARTTLS, or the port that goes with TLS."),
        ("imap", "imap.fjord.example", 10143, "none", "imap_security", "it is allowed to a server on this machine only (localhost)"),
        ("smtp", "10.0.0.5", 2525, "none", "smtp_security", "it is allowed to a server on this machine only (localhost)"),
        ("smtp", "smtp.fjord.example", 2525, "ssl", "smtp_security", "Choose TLS, STARTTLS or none."),
    ],
)  # fmt: skip
def test_a_wrong_port_or_security_is_named(protocol, host, port, security, field, says):
    with pytest.raises(Invalid) as refused:
        check_server(protocol, host, port, security)
    assert says in str(refused.value)
    assert refused.value.field == field


def test_every_preset_passes_its_own_checks():
    for preset in PRESETS.values():
        check_server("imap", preset.imap_host, preset.imap_port, preset.imap_security)
        check_server("smtp", preset.smtp_host, preset.smtp_port, preset.smtp_security)
    assert sorted(PRESETS) == ["domeneshop", "gmail", "microsoft", "one"]
