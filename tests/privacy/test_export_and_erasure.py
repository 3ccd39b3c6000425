"""Export everything held on a prospect (JSON), and erase it from every model: afterwards no
row of any table holds their name, address, phone, title or what was written about them;
the suppression is kept as a hash, so a re-import of the same address is never emailed."""

import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, transaction

from audit.models import AuditEntry
from cadences.models import Reminder, Touch
from cadences.services import (
    CadenceInvalid,
    email_is_suppressed,
    enrollment_create,
    reminder_create,
    touch_dispatch_due,
)
from leads.models import Lead, LeadEvent, Prospect
from leads.services import LeadData, lead_add_note, lead_log_call, lead_update
from notifications.models import Notification
from privacy.registry import PERSONAL_DATA
from privacy.services import email_may_be_contacted
from suppression.models import Suppression, email_hash
from tests.cadences.helpers import at, email, enroll, make_cadence
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk

pytestmark = pytest.mark.django_db

ADDRESS = "zelda.quixote@uniq-prospect.example"
MARKERS = ["zelda", "quixote", "555 01234", "555 09876", "zebra", "uniq-prospect", "in/zq"]


@pytest.fixture
def now(time_machine):
    moment = at(2027, 5, 3, 10, 0)
    time_machine.move_to(moment, tick=False)
    return moment


@pytest.fixture
def lead(crew, now, time_machine):
    """A prospect the team worked: notes, a call, an edit, emails, a reminder, a hand-off,
    a notification and an admin change."""
    prospect = ProspectFactory(
        first_name="Zelda",
        last_name="Quixote",
        email=ADDRESS,
        phone="+47 555 01234",
        title="Chief Zebra Officer",
        linkedin_url="https://www.linkedin.com/in/zq",
        company=CompanyFactory(name="Fjordline AS", domain="fjordline.example"),
    )
    lead = crew.lead(owner="sdr", prospect=prospect)
    cadence = make_cadence(
        crew.manager,
        [email(subject="For {{ prospect.first_name }}", body="Hi {{ prospect.first_name }}")],
    )
    enroll(crew.sdr, lead, cadence)
    assert touch_dispatch_due().sent == 1
    lead_add_note(actor=crew.sdr, lead_id=lead.pk, body="Zelda likes zebras")
    lead_log_call(
        actor=crew.sdr, lead_id=lead.pk, outcome="connected", notes="Zelda said call back"
    )
    lead.refresh_from_db()
    data = LeadData(
        first_name="Zelda", last_name="Quixote", email=ADDRESS, phone="+47 555 09876",
        title="Chief Zebra Officer", linkedin_url="https://www.linkedin.com/in/zq",
        source=lead.source, company_name="Fjordline AS", company_website="fjordline.example/om",
    )  # fmt: skip
    lead_update(actor=crew.sdr, lead_id=lead.pk, expected_version=lead.version, data=data)
    reminder_create(
        actor=crew.sdr, lead_id=lead.pk, due_at=now + timedelta(days=1), note="Ring Zelda"
    )
    Notification.objects.create(
        user=crew.ae, lead=lead, kind="handoff", title="Sam handed you a lead: Zelda Quixote"
    )
    LogEntry.objects.create(
        user=crew.admin, content_type=ContentType.objects.get_for_model(Prospect),
        object_id=str(prospect.pk), object_repr="Zelda Quixote", action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Title"]}}]',
    )  # fmt: skip
    return Lead.objects.get(pk=lead.pk)


def _all_rows_text(exclude=()) -> str:
    """Every row of every table of the project, as text."""
    dump = []
    for model in apps.get_models():
        if model._meta.label_lower in exclude:
            continue
        rows = model.objects.order_by("pk").values()
        dump.append(json.dumps(list(rows), cls=DjangoJSONEncoder))
    return "\n".join(dump).lower()


def _found(markers=MARKERS) -> list[str]:
    text = _all_rows_text()
    return [m for m in markers if m in text]


# --- Export -----------------------------------------------------------------------------------


def test_a_manager_exports_everything_held_on_the_prospect(crew, lead, client):
    client.force_login(crew.manager)

    response = client.get(f"/privacy/leads/{lead.pk}/export/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="prospect-{lead.prospect_id}.json"'
    )
    data = json.loads(response.content)
    assert set(data) == {
        "exported_at", "prospect_id", "prospect_ids", "company", "companies", *PERSONAL_DATA
    }
    assert data["leads.prospect"][0]["email"] == ADDRESS
    assert data["leads.prospect"][0]["phone"] == "+47 555 09876"
    assert data["company"]["name"] == "Fjordline AS"
    bodies = [e["body"] for e in data["leads.leadevent"]]
    assert "Zelda likes zebras" in bodies
    assert data["cadences.touch"][0]["rendered_body"].startswith("Hi Zelda")
    assert data["cadences.reminder"][0]["note"] == "Ring Zelda"
    assert data["admin.logentry"][0]["object_repr"] == "Zelda Quixote"
    assert data["notifications.notification"][0]["title"].endswith("Zelda Quixote")
    entry = AuditEntry.objects.get(action="privacy_export")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        crew.manager.pk, "leads.prospect", str(lead.prospect_id),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("role", "status"),
    [("sdr", 403), ("ae", 404), ("marketing", 404), ("o_manager", 404), ("admin", 200)],
)
def test_export_and_erasure_are_for_managers_and_admins_in_scope(
    crew, other_crew, lead, client, role, status
):
    user = other_crew.manager if role == "o_manager" else getattr(crew, role)
    client.force_login(user)
    before = _all_rows_text()

    assert client.get(f"/privacy/leads/{lead.pk}/export/").status_code == status
    assert client.get(f"/privacy/leads/{lead.pk}/erase/").status_code == status
    if status != 200:
        assert (
            client.post(f"/privacy/leads/{lead.pk}/erase/", {"confirm": "erase"}).status_code
            == status
        )
        assert _all_rows_text() == before


# --- Erasure ----------------------------------------------------------------------------------


def test_erasure_needs_the_confirmation(crew, lead, client):
    client.force_login(crew.manager)
    page = client.get(f"/privacy/leads/{lead.pk}/erase/").content.decode()
    assert "This removes <strong>Zelda Quixote</strong>" in page
    before = _all_rows_text()

    response = client.post(f"/privacy/leads/{lead.pk}/erase/", {"confirm": "yes"})

    assert response["Location"] == f"/privacy/leads/{lead.pk}/erase/"
    assert _all_rows_text() == before


def test_erasure_removes_the_person_from_every_table_and_keeps_a_hash(crew, lead, client):
    assert _found() == MARKERS  # the world really holds them
    client.force_login(crew.manager)

    response = client.post(f"/privacy/leads/{lead.pk}/erase/", {"confirm": "erase"})

    assert response["Location"] == f"/leads/{lead.pk}/"
    assert _found() == []
    prospect = Prospect.objects.get(pk=lead.prospect_id)
    assert (prospect.first_name, prospect.email, prospect.do_not_contact) == ("Erased", None, True)
    # The lead and its history stay, without the content.
    assert Lead.objects.filter(pk=lead.pk).exists()
    # Each entry keeps its structure (ids, states, codes), not the text nor the address.
    events = list(LeadEvent.objects.filter(lead=lead).order_by("pk").values_list(
        "kind", "body", "payload"
    ))  # fmt: skip
    touch = Touch.objects.filter(lead=lead).exclude(sent_at=None).get()
    enrollment = touch.enrollment
    assert events == [  # the factory's lead has no "created" entry
        ("transition", "", {"transition": "start_contacting", "erased": True}),
        ("cadence", "", {"enrollment_id": enrollment.pk, "cadence_id": enrollment.cadence_id,
                         "action": "enroll", "erased": True}),
        ("email", "", {"touch_id": touch.pk, "step": 1, "cadence_id": enrollment.cadence_id,
                       "breakup": False, "erased": True}),
        ("cadence", "", {"enrollment_id": enrollment.pk, "action": "completed", "reason": "",
                         "erased": True}),
        ("note", "", {"erased": True}),
        ("call", "", {"outcome": "connected", "outcome_label": "Connected", "erased": True}),
        ("edit", "", {"changed_fields": ["company_country", "company_employee_count",
                                         "company_industry", "company_website", "phone"],
                      "erased": True}),
        ("task", "", {"reminder_id": Reminder.objects.get(lead=lead).pk, "erased": True}),
    ]  # fmt: skip
    (suppression,) = Suppression.objects.all()
    assert (suppression.email, suppression.email_hash) == (None, email_hash(ADDRESS))
    # Lead pages still render.
    assert client.get(f"/leads/{lead.pk}/").status_code == 200
    assert "Erased" in client.get("/leads/").content.decode()
    entry = AuditEntry.objects.get(action="privacy_erase")
    assert entry.changes["leads.prospect"] == "changed"


def test_a_reimported_erased_person_is_never_emailed(crew, lead, now):
    from privacy.services import prospect_erase

    prospect_erase(actor=crew.admin, lead_id=lead.pk)
    mail.outbox.clear()

    # The importer asks first (privacy.services.email_may_be_contacted) …
    assert not email_may_be_contacted(ADDRESS.upper())
    assert email_is_suppressed(ADDRESS)
    # … and if the person comes back anyway, no cadence emails them.
    again = crew.lead(owner="sdr2", prospect=ProspectFactory(first_name="Zelda", email=ADDRESS))
    cadence = make_cadence(crew.manager, [email(body="Hi")], name="Again")
    with pytest.raises(CadenceInvalid, match="suppressed"):
        enrollment_create(actor=crew.sdr2, lead_id=again.pk, cadence_id=cadence.pk)
    assert touch_dispatch_due().sent == 0
    assert mail.outbox == []


def test_an_old_unsubscribe_link_of_an_erased_person_still_says_unsubscribed(crew, lead):
    from django.test import Client

    from cadences.context import unsubscribe_token
    from cadences.models import Touch
    from privacy.services import prospect_erase

    touch = Touch.objects.filter(lead=lead).exclude(sent_at=None).get()
    prospect_erase(actor=crew.manager, lead_id=lead.pk)
    before = _all_rows_text()

    for method in ("get", "post"):
        response = getattr(Client(), method)(f"/u/{unsubscribe_token(touch.pk)}/")
        assert response.status_code == 200
        assert "Your address will not receive any more emails" in response.content.decode()
    assert _all_rows_text() == before


def test_erasing_twice_changes_nothing_more(crew, lead):
    from privacy.services import prospect_erase

    prospect_erase(actor=crew.manager, lead_id=lead.pk)
    before = _all_rows_text(exclude={"audit.auditentry"})
    prospect_erase(actor=crew.manager, lead_id=lead.pk)

    assert _all_rows_text(exclude={"audit.auditentry"}) == before
    assert AuditEntry.objects.filter(action="privacy_erase").count() == 2


# --- The timeline stays append-only around the erasure exception ----------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"body": "rewritten"},
        {"body": "", "payload": {"erased": True, "x": 1}},
        {"body": "", "payload": {"erased": True}, "kind": "note"},
        {"body": "", "payload": {"erased": True}, "to_state": "accepted"},
        {"body": "", "payload": {"erased": True}, "actor": None},
    ],
    ids=["body", "other-payload", "kind", "state", "actor"],
)
def test_the_timeline_refuses_every_update_but_the_erasure(crew, change):
    lead = walk(crew.lead(owner="sdr"), "researching")
    event = LeadEvent.objects.filter(lead=lead).exclude(actor=None).last()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LeadEvent.objects.filter(pk=event.pk).update(**change)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LeadEvent.objects.filter(pk=event.pk).delete()
