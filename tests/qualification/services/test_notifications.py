"""Notifications: in the app and by email, once; hand-offs, accepts and rejects made from the
lead page's own buttons are caught by the sweep."""

from django.conf import settings
from django.core import mail

from leads.models import Lead
from notifications.models import Notification, NotificationKind
from notifications.services import notification_email_send, notifications_mark_read
from qualification.services import handoff_accept, lead_qualify, notifications_sweep
from tests.qualification.services.test_lead_qualify import qualify


def test_the_sweep_notifies_hand_offs_and_decisions_made_on_the_lead_page(crew, make_lead):
    lead = make_lead("accepted")  # walked through leads' own services: nobody was notified

    assert notifications_sweep() == 2

    assert list(Notification.objects.order_by("id").values_list("user_id", "kind", "lead_id")) == [
        (crew.ae.pk, NotificationKind.HANDOFF, lead.pk),
        (crew.sdr.pk, NotificationKind.ACCEPTED, lead.pk),
    ]
    assert notifications_sweep() == 0
    assert Notification.objects.count() == 2


def test_the_sweep_does_not_repeat_what_the_services_notified(crew, model, make_lead):
    lead = make_lead("engaged")
    lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))
    handoff_accept(actor=crew.ae, lead_id=lead.pk)

    assert notifications_sweep() == 0
    assert Notification.objects.count() == 2


def test_nobody_is_notified_of_their_own_action(crew, make_lead):
    """An admin who owns a lead (its SDR left) and accepts it is not told of his own accept."""
    from leads.services import TransitionParams, lead_transition

    lead = make_lead("engaged", owner="sdr")

    lead_transition(actor=crew.sdr, lead_id=lead.pk, name="qualify")
    lead_transition(
        actor=crew.sdr, lead_id=lead.pk, name="hand_off", params=TransitionParams(ae_id=crew.ae.pk)
    )
    lead_transition(actor=crew.admin, lead_id=lead.pk, name="accept")
    Lead.objects.filter(pk=lead.pk).update(owner=crew.admin)

    notifications_sweep()

    assert list(Notification.objects.values_list("user_id", "kind")) == [
        (crew.ae.pk, NotificationKind.HANDOFF)
    ]


def test_a_notification_is_emailed_once(crew, model, make_lead):
    lead = make_lead("engaged")
    lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))
    note = Notification.objects.get()

    assert notification_email_send(notification_id=note.pk) is True
    assert notification_email_send(notification_id=note.pk) is False

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.to, message.subject) == ([crew.ae.email], note.title)
    assert message.body.startswith("Need: A CRM for 120 sellers")
    base = settings.SDRCRM_BASE_URL.rstrip("/")
    assert message.body.endswith(f"\n\nOpen the lead: {base}/leads/{lead.pk}/")
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_no_address_no_email(crew, model, make_lead):
    crew.ae.email = ""
    crew.ae.save(update_fields=["email"])
    lead = make_lead("engaged")
    lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))

    assert notification_email_send(notification_id=Notification.objects.get().pk) is False
    assert mail.outbox == []


def test_mark_read_only_touches_ones_own(crew, make_lead):
    make_lead("accepted")
    notifications_sweep()
    ae_note = Notification.objects.get(user=crew.ae)

    assert notifications_mark_read(actor=crew.sdr, ids=[ae_note.pk]) == 0
    assert notifications_mark_read(actor=crew.sdr) == 1
    ae_note.refresh_from_db()
    assert ae_note.read_at is None
    assert notifications_mark_read(actor=crew.ae, ids=[ae_note.pk]) == 1


def test_outside_development_an_unset_public_address_gives_no_link(
    crew, model, make_lead, settings
):
    settings.DEVELOPMENT, settings.SDRCRM_BASE_URL_SET = False, False
    lead = make_lead("engaged")
    lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))

    assert notification_email_send(notification_id=Notification.objects.get().pk) is True
    (message,) = mail.outbox
    assert "Open the lead" not in message.body
    assert "http" not in message.body
