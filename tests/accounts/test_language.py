"""Which language a user's pages are in: their own setting, else their team's, else the
browser's Accept-Language, else LANGUAGE_CODE (sdrcrm/i18n.py, accounts/middleware.py); and
the user menu's form that changes it."""

import re

import pytest
from django.test import Client, RequestFactory

from accounts.backends import UserBackend
from accounts.models import User
from sdrcrm.i18n import accept_language, pick, prospect_language, supported, user_language

PASSWORD = "pw-for-tests-1"
LANG = re.compile(r'<html lang="([^"]*)">')


def _lang(response) -> str:
    return LANG.search(response.content.decode()).group(1)


def _login(client, user):
    client.force_login(user)
    return client


# --- The choice, without a request ----------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("nb", "nb"), ("nb-NO", "nb"), ("NB_no", "nb"), ("no", "nb"), ("nn-NO", "nb"),
        ("en", "en"), ("en-GB", "en"), ("sv", ""), ("", ""), (None, ""), ("x" * 40, ""),
    ],
)  # fmt: skip
def test_supported_languages_and_their_variants(code, expected):
    assert supported(code) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("nb-NO,nb;q=0.9,no;q=0.8,en-US;q=0.6,en;q=0.5", "nb"),
        ("sv-SE,sv;q=0.9,no;q=0.8,en;q=0.7", "nb"),  # Swedish first: not offered
        ("en-GB,en;q=0.9,nb;q=0.8", "en"),
        ("de-DE,de;q=0.9", ""),
        ("*", ""),
        ("", ""),
        ("not a header;;;", ""),
    ],
)
def test_accept_language(header, expected):
    assert accept_language(header) == expected


def test_pick_falls_back_to_the_site_language(settings):
    assert pick("", None, "sv") == settings.LANGUAGE_CODE == "en"
    assert pick("", "nb", "en") == "nb"


def test_user_language_order(crew):
    user, team = crew.sdr, crew.team
    nb_browser = "nb-NO,nb;q=0.9"
    assert user_language(user, nb_browser) == "nb"  # neither set: the browser
    assert user_language(user, "") == "en"  # nothing at all: the site's
    team.language = "en"
    assert user_language(user, nb_browser) == "en"  # the team's over the browser
    team.language = "nb"
    user.language = "en"
    assert user_language(user, nb_browser) == "en"  # the user's own over the team's
    user.language = ""
    assert user_language(user, "en") == "nb"
    assert user_language(crew.admin, nb_browser) == "nb"  # no team: the browser


def test_prospect_language_is_the_cadences_then_the_teams(crew):
    class Cadence:
        language = "en"

    crew.team.language = "nb"
    assert prospect_language(crew.team) == "nb"
    assert prospect_language(crew.team, Cadence()) == "en"
    assert prospect_language(crew.team, object()) == "nb"  # a cadence without a language
    assert prospect_language(None) == "en"


def test_the_middleware_reads_no_table(crew, django_assert_num_queries):
    """The team comes with the user (accounts.backends): the choice costs no query."""
    crew.team.language = "nb"
    crew.team.save(update_fields=["language"])
    user = UserBackend().get_user(crew.sdr.pk)
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="en")
    with django_assert_num_queries(0):
        assert user_language(user, request.META["HTTP_ACCEPT_LANGUAGE"]) == "nb"


# --- Pages ---------------------------------------------------------------------------------


def test_a_page_follows_the_browser_when_nothing_is_set(crew, client):
    _login(client, crew.sdr)
    response = client.get("/password/", HTTP_ACCEPT_LANGUAGE="nb-NO,nb;q=0.9,en;q=0.5")
    assert (response.status_code, _lang(response), response["Content-Language"]) == (
        200, "nb", "nb",
    )  # fmt: skip
    response = client.get("/password/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert (_lang(response), response["Content-Language"]) == ("en", "en")
    response = client.get("/password/")
    assert _lang(response) == "en"


def test_the_team_language_is_the_default_over_the_browser(crew, client):
    crew.team.language = "nb"
    crew.team.save(update_fields=["language"])
    _login(client, crew.sdr)
    response = client.get("/password/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert (_lang(response), response["Content-Language"]) == ("nb", "nb")
    # Django's own strings follow: the password form's help text, in bokmål.
    assert "Passordet ditt" in response.content.decode()


def test_the_users_own_setting_wins(crew, client):
    crew.team.language = "nb"
    crew.team.save(update_fields=["language"])
    crew.sdr.language = "en"
    crew.sdr.save(update_fields=["language"])
    _login(client, crew.sdr)
    response = client.get("/password/", HTTP_ACCEPT_LANGUAGE="nb")
    assert (_lang(response), response["Content-Language"]) == ("en", "en")


def test_the_login_page_follows_the_browser(db, client):
    assert _lang(client.get("/login/", HTTP_ACCEPT_LANGUAGE="nb")) == "nb"
    assert _lang(client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")) == "en"
    # "no" (Norwegian) and "nn" (nynorsk), as many browsers in Norway send: bokmål.
    assert _lang(client.get("/login/", HTTP_ACCEPT_LANGUAGE="no,en;q=0.5")) == "nb"
    assert _lang(client.get("/login/", HTTP_ACCEPT_LANGUAGE="sv,de;q=0.5")) == "en"


def test_one_users_language_does_not_leak_into_the_next_request(crew, client):
    crew.sdr.language = "nb"
    crew.sdr.save(update_fields=["language"])
    other = Client()
    _login(client, crew.sdr)
    _login(other, crew.sdr2)
    assert _lang(client.get("/password/")) == "nb"
    assert _lang(other.get("/password/")) == "en"
    assert _lang(client.get("/password/")) == "nb"


# --- The user menu's form -------------------------------------------------------------------


def test_the_user_menu_offers_the_languages(crew, client):
    _login(client, crew.sdr)
    html = client.get("/password/?x=1").content.decode()
    assert '<form method="post" action="/account/language/" class="inline language-form">' in html
    assert '<input type="hidden" name="next" value="/password/?x=1">' in html
    assert '<option value="" selected>The team\'s language</option>' in html
    assert '<option value="nb" lang="nb">Norsk bokmål</option>' in html
    assert '<option value="en" lang="en">English</option>' in html


def test_choosing_a_language_saves_it_and_goes_back(crew, client):
    _login(client, crew.sdr)
    response = client.post("/account/language/", {"language": "nb", "next": "/password/?x=1"})
    assert (response.status_code, response["Location"]) == (302, "/password/?x=1")
    assert User.objects.get(pk=crew.sdr.pk).language == "nb"
    page = client.get(response["Location"])
    assert _lang(page) == "nb"
    assert "Språket er lagret." in page.content.decode()
    assert '<option value="nb" lang="nb" selected>Norsk bokmål</option>' in page.content.decode()
    # Back to the team's.
    client.post("/account/language/", {"language": "", "next": "/password/"})
    assert User.objects.get(pk=crew.sdr.pk).language == ""


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "http://testserver.evil.example/", ""]
)
def test_the_language_form_never_redirects_off_site(crew, client, next_url):
    _login(client, crew.sdr)
    response = client.post("/account/language/", {"language": "en", "next": next_url})
    assert (response.status_code, response["Location"]) == (302, "/")


def test_an_unknown_language_changes_nothing(crew, client):
    crew.sdr.language = "nb"
    crew.sdr.save(update_fields=["language"])
    _login(client, crew.sdr)
    response = client.post("/account/language/", {"language": "sv", "next": "/password/"})
    assert (response.status_code, response["Location"]) == (302, "/password/")
    assert User.objects.get(pk=crew.sdr.pk).language == "nb"
    assert "Velg et av språkene i listen." in client.get("/password/").content.decode()


def test_the_language_form_needs_the_csrf_token(crew):
    client = Client(enforce_csrf_checks=True)
    client.force_login(crew.sdr)
    response = client.post("/account/language/", {"language": "nb"})
    assert response.status_code == 403
    assert User.objects.get(pk=crew.sdr.pk).language == ""


def test_the_language_form_changes_only_the_users_own_row(crew, client):
    _login(client, crew.manager)
    client.post("/account/language/", {"language": "nb", "id": crew.sdr.pk})
    assert dict(User.objects.filter(team=crew.team).values_list("username", "language")) == {
        u.username: ("nb" if u == crew.manager else "")
        for u in (crew.manager, crew.sdr, crew.sdr2, crew.bdr, crew.ae, crew.ae2, crew.marketing)
    }


def test_anonymous_users_are_sent_to_the_login(db, client):
    response = client.post("/account/language/", {"language": "nb"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
