"""What a manual touch shows at hand (partials/cadences/_task_contact.jinja on Today,
templates/cadences/_task_contact.html on the lead page's cadence panel): a call's number as a
tel: link and the step's script; a LinkedIn step's link to the profile, in a new tab, only to
linkedin.com over http(s); what people typed escaped."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cadences.models import Channel, Touch, TouchStatus
from tests.cadences.helpers import email, enroll, make_cadence, task, touches
from tests.html import parse

pytestmark = pytest.mark.django_db

PROFILE = "https://www.linkedin.com/in/kari-nordmann"
PHONE = "+47 22 33 44 55"


@pytest.fixture(autouse=True)
def _business_hours(now):
    """A business morning (tests/cadences/conftest.py): the touches made are due today."""
    return now


def due_touch(crew, step, **prospect):
    lead = crew.lead(owner="sdr", **{f"prospect__{k}": v for k, v in prospect.items()})
    cadence = make_cadence(crew.manager, [step], name=f"One step {lead.pk}")
    touch = touches(enroll(crew.sdr, lead, cadence))[0]
    Touch.objects.filter(pk=touch.pk).update(status=TouchStatus.DUE)
    return lead


def today_item(client, crew):
    client.force_login(crew.sdr)
    response = client.get("/today/")
    assert response.status_code == 200
    (item,) = parse(response.content.decode()).one("ol", class_="queue").find_all("li")
    return item


def panel_step(client, crew, lead):
    client.force_login(crew.sdr)
    response = client.get(f"/leads/{lead.pk}/")
    assert response.status_code == 200
    (step,) = parse(response.content.decode()).one(id="cadence-panel").find_all("li", class_="step")
    return step


SCRIPT = "Ask about <their> CRM & the renewal date"


@pytest.mark.parametrize("where", ["today", "lead page"])
def test_a_call_shows_the_number_as_a_tel_link_and_the_script(crew, client, where):
    lead = due_touch(crew, task(Channel.CALL, instructions=SCRIPT), phone="+47 22 33 44 55")

    box = today_item(client, crew) if where == "today" else panel_step(client, crew, lead)

    contact = box.one("p", class_="task-contact")
    assert contact.text == f"Call {PHONE}"
    link = contact.one("a")
    assert (link["href"], link.text, link.classes) == ("tel:+4722334455", PHONE, ["tel"])
    assert box.one("p", class_="script-label").text == "Script"
    assert box.one("p", class_="instructions").text == SCRIPT
    assert box.find_all("their") == []  # escaped, not markup


@pytest.mark.parametrize("where", ["today", "lead page"])
def test_a_call_without_a_number_says_so_and_links_nothing(crew, client, where):
    lead = due_touch(crew, task(Channel.CALL), phone="")

    box = today_item(client, crew) if where == "today" else panel_step(client, crew, lead)

    contact = box.one("p", class_="task-contact")
    assert contact.text == "No phone number recorded."
    assert contact.find_all("a") == []


@pytest.mark.parametrize("where", ["today", "lead page"])
@pytest.mark.parametrize("channel", [Channel.LINKEDIN_CONNECT, Channel.LINKEDIN_MESSAGE])
def test_a_linkedin_step_links_to_the_profile_in_a_new_tab(crew, client, where, channel):
    lead = due_touch(crew, task(channel, instructions="Mention the webinar"), linkedin_url=PROFILE)

    box = today_item(client, crew) if where == "today" else panel_step(client, crew, lead)

    (link,) = box.one("p", class_="task-contact").find_all("a")
    assert (link["href"], link["target"], link["rel"]) == (PROFILE, "_blank", "noopener noreferrer")
    assert link.text == "Open the LinkedIn profile (opens in a new tab)"
    assert box.find_all("p", class_="script-label") == []  # a script is for calls
    assert box.one("p", class_="instructions").text == "Mention the webinar"


@pytest.mark.parametrize("where", ["today", "lead page"])
@pytest.mark.parametrize(
    "stored",
    ["javascript:alert(1)", "https://evil.example/in/kari", "https://linkedin.com.evil.example/x",
     "data:text/html,x", ""],
)  # fmt: skip
def test_a_linkedin_address_that_is_not_linkedins_is_never_a_link(crew, client, where, stored):
    lead = due_touch(crew, task(Channel.LINKEDIN_CONNECT))
    # Written past the field gate, as an old row or a raw import might hold it.
    type(lead.prospect).objects.filter(pk=lead.prospect_id).update(linkedin_url=stored)

    box = today_item(client, crew) if where == "today" else panel_step(client, crew, lead)

    contact = box.one("p", class_="task-contact")
    assert contact.text == "No LinkedIn profile recorded."
    assert contact.find_all("a") == []


def test_an_email_or_a_done_step_shows_no_contact_box(crew, client):
    lead = crew.lead(owner="sdr", prospect__phone="+47 22 33 44 55")
    cadence = make_cadence(crew.manager, [email(), task(Channel.CALL, day_offset=2)], name="E")
    enroll(crew.sdr, lead, cadence)
    client.force_login(crew.sdr)

    html = client.get(f"/leads/{lead.pk}/").content.decode()

    steps = parse(html).one(id="cadence-panel").find_all("li", class_="step")
    assert [s.find_all("div", class_="step-task") == [] for s in steps] == [True, True]


def test_the_due_steps_box_costs_the_lead_page_no_query(crew, client):
    """The box reads the touch and the prospect the panel and the page already loaded."""
    call = due_touch(crew, task(Channel.CALL), phone="+47 22 33 44 55")
    mail = crew.lead(owner="sdr", prospect__phone="+47 22 33 44 55")
    enroll(crew.sdr, mail, make_cadence(crew.manager, [email()], name="Mail only"))
    client.force_login(crew.sdr)
    counts = []
    for lead in (call, mail):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/leads/{lead.pk}/").status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
