"""The timeline stays append-only, with one exception for erasing a person's data (privacy
app): an UPDATE that only blanks the body and sets the payload to {"erased": true}, every
other column unchanged. Anything else still raises; DELETE still raises."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION leads_leadevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.id = OLD.id AND NEW.lead_id = OLD.lead_id AND NEW.kind = OLD.kind
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id AND NEW.created_at = OLD.created_at
       AND NEW.from_state = OLD.from_state AND NEW.to_state = OLD.to_state
       AND NEW.body = '' AND NEW.payload = '{"erased": true}'::jsonb THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'leads_leadevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
PG_DOWN = """
CREATE OR REPLACE FUNCTION leads_leadevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'leads_leadevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
SQLITE_UP = [
    "DROP TRIGGER IF EXISTS leads_leadevent_no_update;",
    """CREATE TRIGGER leads_leadevent_no_update BEFORE UPDATE ON leads_leadevent
       WHEN NOT (NEW.id = OLD.id AND NEW.lead_id = OLD.lead_id AND NEW.kind = OLD.kind
                 AND NEW.actor_id IS OLD.actor_id AND NEW.created_at = OLD.created_at
                 AND NEW.from_state = OLD.from_state AND NEW.to_state = OLD.to_state
                 AND NEW.body = '' AND json(NEW.payload) = '{"erased":true}')
       BEGIN SELECT RAISE(ABORT, 'leads_leadevent is append-only: UPDATE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS leads_leadevent_no_update;",
    """CREATE TRIGGER leads_leadevent_no_update BEFORE UPDATE ON leads_leadevent
       BEGIN SELECT RAISE(ABORT, 'leads_leadevent is append-only: UPDATE refused'); END;""",
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
    dependencies = [("leads", "0004_cadence_support")]
    operations = [migrations.RunPython(forwards, backwards)]
