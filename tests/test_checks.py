"""The product's own system checks."""

from django.core.management import call_command
from django.core.management.base import SystemCheckError

from sdrcrm.checks import base_url_set


def test_production_without_a_public_address_is_warned(settings):
    settings.DEVELOPMENT, settings.SDRCRM_BASE_URL_SET = False, False
    (warning,) = base_url_set(None)
    assert (warning.id, str(warning.msg)) == ("sdrcrm.W001", "SDRCRM_BASE_URL is not set.")


def test_a_set_address_or_development_mode_is_not_warned(settings):
    settings.DEVELOPMENT, settings.SDRCRM_BASE_URL_SET = False, True
    assert base_url_set(None) == []
    settings.DEVELOPMENT, settings.SDRCRM_BASE_URL_SET = True, False
    assert base_url_set(None) == []


def test_the_check_runs_with_check_deploy(settings):
    settings.DEVELOPMENT, settings.SDRCRM_BASE_URL_SET = False, False
    try:
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
    except SystemCheckError as exc:
        assert "sdrcrm.W001" in str(exc)
    else:
        raise AssertionError("check --deploy passed without SDRCRM_BASE_URL")
