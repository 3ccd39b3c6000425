"""The audit log: who changed what on users, teams, settings, leads, prospects and companies
in the admin, two-factor changes, exports and erasures. The database refuses to update or
delete its rows, whatever code asks; values of prospects' fields are never written to it."""

import pytest
from django.db import DatabaseError, transaction

from accounts.models import Team, User
from audit.models import AuditEntry
from audit.services import audit_record


def test_the_database_refuses_to_change_or_delete_entries(crew):
    entry = audit_record(actor=crew.admin, target=crew.team, action="test", changes={})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["test"]


def test_the_admin_cannot_edit_or_delete_entries(crew, client):
    entry = audit_record(actor=crew.admin, target=crew.team, action="test", changes={})
    client.force_login(crew.admin)
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200  # view
    assert (
        client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"action": "x"}).status_code
        == 403
    )
    assert (
        client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEntry.objects.get().action == "test"


def test_admin_changes_to_teams_are_logged_with_old_and_new_values(crew, client):
    client.force_login(crew.admin)

    response = client.post(
        f"/admin/accounts/team/{crew.team.pk}/change/",
        {
            "name": "Polaris",
            "time_zone": crew.team.time_zone,
            "email_via": crew.team.email_via,
            "language": crew.team.language,
            "currency": crew.team.currency,
            "country": crew.team.country,
        },
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.actor_id, entry.actor_name, entry.action, entry.target_type, entry.target_id) == (
        crew.admin.pk, crew.admin.username, "admin_change", "accounts.team", str(crew.team.pk),
    )  # fmt: skip
    assert entry.changes == {"name": [crew.team.name, "Polaris"]}


def test_a_user_added_in_the_admin_is_logged_without_the_password(crew, client):
    client.force_login(crew.admin)

    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newbie", "usable_password": "true",
            "password1": "Fjord-lights-2026!", "password2": "Fjord-lights-2026!",
            "role": "sdr", "team": crew.team.pk,
        },
    )  # fmt: skip

    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    entry = AuditEntry.objects.get(action="admin_add")
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(user.pk))
    assert entry.changes["username"] == [None, "newbie"]
    assert entry.changes["role"][1] == "sdr" and entry.changes["team"][1] == crew.team.pk
    assert entry.changes["password1"] == entry.changes["password2"] == "changed"
    assert "Fjord-lights" not in str(entry.changes)


def test_admin_changes_to_prospects_keep_field_names_only(crew, client):
    lead = crew.lead(owner="sdr")
    prospect = lead.prospect
    client.force_login(crew.admin)
    data = {
        "first_name": "Renamed", "last_name": prospect.last_name, "email": prospect.email,
        "phone": "+47 999", "title": prospect.title, "role": prospect.role,
        "linkedin_url": "", "time_zone": "", "company": prospect.company_id,
        "created_at_0": "2027-01-01", "created_at_1": "10:00:00",
    }  # fmt: skip

    response = client.post(f"/admin/leads/prospect/{prospect.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get()
    assert entry.target_type == "leads.prospect"
    assert entry.changes["first_name"] == "changed" and entry.changes["phone"] == "changed"
    assert "Renamed" not in str(entry.changes) and "999" not in str(entry.changes)


def test_admin_deletes_are_logged(crew, client):
    team = Team.objects.create(name="Short-lived")
    client.force_login(crew.admin)

    client.post(f"/admin/accounts/team/{team.pk}/delete/", {"post": "yes"})

    assert not Team.objects.filter(pk=team.pk).exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target_id) == ("admin_delete", str(team.pk))


def test_a_domain_is_suppressed_in_the_admin_and_audited(crew, client):
    from suppression.models import Suppression
    from suppression.services import email_is_suppressed

    client.force_login(crew.admin)
    refused = client.post(
        "/admin/suppression/suppression/add/",
        {"email": "a@b.example", "domain": "b.example", "reason": "manual"},
    )
    assert refused.status_code == 200 and not Suppression.objects.exists()

    response = client.post(
        "/admin/suppression/suppression/add/",
        {"email": "", "domain": "Spam.Example", "reason": "manual"},
    )

    assert response.status_code == 302
    assert list(Suppression.objects.values_list("email", "domain", "reason")) == [
        (None, "spam.example", "manual")
    ]
    assert email_is_suppressed("anyone@spam.example")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target_type) == ("admin_add", "suppression.suppression")


def test_password_changes_are_logged_without_the_password(crew, client):
    client.force_login(crew.sdr)
    new = "Fjord-lights-2026!"
    client.post(
        "/password/",
        {"old_password": "pw-for-tests-1", "new_password1": new, "new_password2": new},
    )
    client.force_login(crew.admin)
    response = client.post(
        f"/admin/accounts/user/{crew.sdr2.pk}/password/",
        {"usable_password": "true", "password1": new, "password2": new},
    )
    assert response.status_code == 302

    entries = list(
        AuditEntry.objects.order_by("id").values_list("actor_id", "action", "target_id", "changes")
    )
    assert entries == [
        (crew.sdr.pk, "password_change", str(crew.sdr.pk), {"password": "changed"}),
        (crew.admin.pk, "admin_password_change", str(crew.sdr2.pk), {"password": "changed"}),
    ]
