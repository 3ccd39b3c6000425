"""The timeline is append-only in the database itself: UPDATE and DELETE on leads_leadevent
raise, whatever code tries them (TRUNCATE, used by test teardown, is not a row operation)."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION leads_leadevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'leads_leadevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER leads_leadevent_no_update_delete
    BEFORE UPDATE OR DELETE ON leads_leadevent
    FOR EACH ROW EXECUTE FUNCTION leads_leadevent_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS leads_leadevent_no_update_delete ON leads_leadevent;
DROP FUNCTION IF EXISTS leads_leadevent_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER leads_leadevent_no_update BEFORE UPDATE ON leads_leadevent
       BEGIN SELECT RAISE(ABORT, 'leads_leadevent is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER leads_leadevent_no_delete BEFORE DELETE ON leads_leadevent
       BEGIN SELECT RAISE(ABORT, 'leads_leadevent is append-only: DELETE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS leads_leadevent_no_update;",
    "DROP TRIGGER IF EXISTS leads_leadevent_no_delete;",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_UP:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
