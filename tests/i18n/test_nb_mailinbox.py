"""The mailbox pages, their errors and the mailbox's health notification in bokmål (issue 21).

Runs once the bokmål catalogue carries the mailinbox compendium (/work/wt/notes/nb_mailinbox.po,
merged by the lead): scripts/test-services.sh compiles it."""

import pytest
from django.utils import translation

from mailboxes import transport
from mailboxes.models import Mailbox, MailboxStatus
from mailboxes.services import mailbox_mark_failing
from notifications.models import Notification
from tests.i18n.helpers import login_nb as _nb
from tests.mailboxes.conftest import mailbox_error, password_mailbox

pytestmark = pytest.mark.django_db


def test_the_mailbox_page_in_bokmal(crew, client):
    password_mailbox(crew.sdr)
    page = _nb(client, crew.sdr).get("/mailboxes/").content.decode()

    assert '<html lang="nb"' in page
    assert "<h1>E-postkonto</h1>" in page
    assert ">Tilkoblet</span>" in page  # the status
    assert "<dt>Logger inn med</dt><dd>Passord eller app-passord</dd>" in page
    assert '<h2 id="connect-title">Endre tilkoblingen</h2>' in page
    assert '<h2 id="limits-title">Sendegrenser</h2>' in page
    assert "E-poster per dag" in page
    assert "Ingen (bare localhost)" in page
    assert ">Lagre grensene</button>" in page
    for english in ("Sending limits", "Connected since", "Good to know", "app password"):
        assert english not in page


def test_the_mailbox_page_without_a_mailbox_in_bokmal(crew, client):
    page = _nb(client, crew.sdr).get("/mailboxes/").content.decode()

    assert '<h2 id="connect-title">Koble til e-postkontoen din</h2>' in page
    assert ">Test og lagre</button>" in page


def test_a_wrong_server_name_is_refused_in_bokmal(crew, client):
    form = {
        "email": "kari@fjord.example", "username": "", "password": "app-password-1",
        "imap_host": "https://imap.fjord.example", "imap_port": "993", "imap_security": "tls",
        "smtp_host": "smtp.fjord.example", "smtp_port": "587", "smtp_security": "starttls",
    }  # fmt: skip
    response = _nb(client, crew.sdr).post("/mailboxes/connect/", form)

    assert response.status_code == 400
    assert "Skriv bare inn navnet på serveren (f.eks. imap.example.com)" in (
        response.content.decode()
    )
    assert not Mailbox.objects.filter(user=crew.sdr).exists()


def test_the_team_mailboxes_page_in_bokmal(crew, client):
    password_mailbox(crew.sdr)
    page = _nb(client, crew.manager).get("/mailboxes/team/").content.decode()

    assert "<h1>Teamets e-postkontoer</h1>" in page
    assert "Hvor teamets e-poster sendes fra" in page
    assert "Nettstedets felles e-posttjeneste" in page
    assert '<h2 id="senders-title">Avsendere og e-postkontoene deres</h2>' in page
    assert ">Sist synkronisert</th>" in page


def test_a_failing_mailbox_is_told_in_its_owners_language(crew):
    """The sync and the sender run without a language: the reason stored and the notification
    are written in the owner's (a transport message is kept lazily until then)."""
    crew.sdr.language = "nb"
    crew.sdr.save(update_fields=["language"])
    mailbox = password_mailbox(crew.sdr)

    assert mailbox_mark_failing(mailbox.pk, mailbox_error(transport.AUTH_FAILED)) is True

    mailbox.refresh_from_db()
    reason = "Innloggingen feilet: sjekk brukernavnet og (app-)passordet"
    assert (mailbox.status, mailbox.last_error) == (MailboxStatus.FAILING, reason)
    note = Notification.objects.get(user=crew.sdr)
    assert note.title == f"E-postkontoen din {mailbox.email} har sluttet å virke"
    assert note.body.startswith(reason + "\n\nE-postene i kadensene dine venter til den virker")
    assert note.body.endswith("på siden E-postkonto: http://127.0.0.1:8000/mailboxes/")


def test_an_english_owner_is_told_in_english(crew):
    crew.sdr.language = "en"
    crew.sdr.save(update_fields=["language"])
    mailbox = password_mailbox(crew.sdr)

    with translation.override("nb"):  # whatever language the caller runs in
        mailbox_mark_failing(mailbox.pk, mailbox_error(transport.AUTH_FAILED))

    mailbox.refresh_from_db()
    assert mailbox.last_error == "Authentication failed: check the username and the (app) password"
    assert Notification.objects.get(user=crew.sdr).title == (
        f"Your mailbox {mailbox.email} stopped working"
    )
