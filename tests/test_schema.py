"""What the migrations make beyond the models (sdrcrm/db.py): the append-only triggers, the
timeline's erasure function and the rescore's fillfactor, on the squashed history."""

import pytest
from django.db import connection


def _rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.mark.django_db
def test_the_append_only_tables_have_their_trigger():
    assert _rows(
        "SELECT c.relname, t.tgname, p.proname FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE NOT t.tgisinternal ORDER BY c.relname"
    ) == [
        ("audit_auditentry", "audit_auditentry_no_update_delete", "audit_auditentry_append_only"),
        # The lead search's text (leads 0002): a company's new name, a prospect's every write.
        ("leads_company", "leads_company_search", "leads_company_search_write"),
        ("leads_leadevent", "leads_leadevent_no_update_delete", "leads_leadevent_append_only"),
        ("leads_prospect", "leads_prospect_search", "leads_prospect_search_write"),
    ]
    assert _rows(
        "SELECT proname FROM pg_proc WHERE proname = 'leads_leadevent_erased_payload'"
    ) == [("leads_leadevent_erased_payload",)]


@pytest.mark.django_db
def test_the_rescored_tables_leave_room_for_hot_updates():
    assert _rows(
        "SELECT relname, reloptions FROM pg_class "
        "WHERE relname IN ('leads_lead', 'qualification_leadscore') ORDER BY relname"
    ) == [("leads_lead", ["fillfactor=50"]), ("qualification_leadscore", ["fillfactor=50"])]


@pytest.mark.django_db
def test_one_initial_migration_per_app():
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection)
    ours = sorted(
        key
        for key in loader.disk_migrations
        if not loader.disk_migrations[key].__module__.startswith("django.")
        and key[0] not in ("axes", "csp")
    )
    apps = sorted({app for app, _ in ours})
    # Issue 17 squashed each app's history into one 0001_initial; what came after it builds on
    # it in a line (one leaf per app, no second initial).
    assert [key for key in ours if loader.disk_migrations[key].initial] == [
        (app, "0001_initial") for app in apps
    ]
    assert all(len(loader.graph.leaf_nodes(app)) == 1 for app in apps)
    assert len(apps) == 14
