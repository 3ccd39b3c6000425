"""Erasing a person keeps the structure of their lead's timeline (leads/erasure.py): an erased
entry keeps its non-personal payload keys (user ids, states, codes, times) so that the
dashboards and the commission report built from them do not change, and loses its body and
every other key. The trigger now allows exactly that UPDATE: every column but body and payload
unchanged, the body blank, and the payload equal to leads_leadevent_erased_payload(kind, old
payload), the SQL copy of leads.erasure.event_erased_payload. The old shape (the payload
replaced by {"erased": true}) is refused, like any other UPDATE; DELETE still raises.

On SQLite (the embedded default) the trigger allows an UPDATE that only blanks the body, marks
the payload erased and removes keys from it (or names the changed fields): what is removed is
the Python rule's choice there."""

from django.db import migrations

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION leads_leadevent_erased_payload(kind text, p jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
SELECT COALESCE((
    SELECT jsonb_object_agg(e.key, e.value)
    FROM jsonb_each(CASE WHEN jsonb_typeof(p) = 'object' THEN p ELSE '{}'::jsonb END) e
    WHERE e.key = ANY(CASE kind
        WHEN 'created' THEN ARRAY['source', 'owner_id', 'import_id', 'line', 'web_form_id',
                                  'captured_at']
        WHEN 'transition' THEN ARRAY['transition', 'reason', 'recycle_on', 'ae_id', 'ae',
                                     'automatic']
        WHEN 'note' THEN ARRAY['web_form_id']
        WHEN 'call' THEN ARRAY['touch_id', 'step', 'channel', 'outcome', 'outcome_label',
                               'skipped', 'reminder_id', 'cadence_id', 'breakup']
        WHEN 'email' THEN ARRAY['touch_id', 'step', 'channel', 'outcome', 'outcome_label',
                                'skipped', 'reminder_id', 'cadence_id', 'breakup']
        WHEN 'task' THEN ARRAY['touch_id', 'step', 'channel', 'outcome', 'outcome_label',
                               'skipped', 'reminder_id', 'cadence_id', 'breakup']
        WHEN 'score' THEN ARRAY['from', 'to', 'points', 'model_version', 'verdict',
                                'disqualifiers', 'decision', 'override']
        WHEN 'assignment' THEN ARRAY['from_owner_id', 'to_owner_id', 'claim']
        WHEN 'edit' THEN ARRAY['import_id', 'line', 'changed_fields']
        WHEN 'checklist' THEN ARRAY['item', 'done']
        WHEN 'cadence' THEN ARRAY['enrollment_id', 'cadence_id', 'action', 'reason']
        WHEN 'reply' THEN ARRAY['source']
        ELSE ARRAY[]::text[] END::text[])
      -- a rejection's reason is the AE's own text, not a code
      AND NOT (e.key = 'reason' AND kind = 'transition' AND p->>'transition' = 'reject')
), '{}'::jsonb)
|| CASE WHEN kind = 'edit' AND jsonb_typeof(p->'changes') = 'object' THEN
       jsonb_build_object('changed_fields', COALESCE((
           SELECT jsonb_agg(k ORDER BY k COLLATE "C") FROM jsonb_object_keys(p->'changes') k
       ), '[]'::jsonb))
   ELSE '{}'::jsonb END
|| '{"erased": true}'::jsonb
$$;
"""

PG_UP = """
CREATE OR REPLACE FUNCTION leads_leadevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'body' - 'payload') = (to_jsonb(OLD) - 'body' - 'payload')
       AND NEW.body = ''
       AND NEW.payload = leads_leadevent_erased_payload(OLD.kind, OLD.payload) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'leads_leadevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

# leads 0005's function, as it was.
PG_DOWN = """
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
DROP FUNCTION IF EXISTS leads_leadevent_erased_payload(text, jsonb);
"""

# A rebuilt table (SQLite's ALTER of leads 0008) loses its triggers: both are made again.
SQLITE_UP = [
    "DROP TRIGGER IF EXISTS leads_leadevent_no_update;",
    """CREATE TRIGGER leads_leadevent_no_update BEFORE UPDATE ON leads_leadevent
       WHEN NOT COALESCE((
           NEW.id = OLD.id AND NEW.lead_id = OLD.lead_id AND NEW.kind = OLD.kind
           AND NEW.actor_id IS OLD.actor_id AND NEW.created_at = OLD.created_at
           AND NEW.from_state = OLD.from_state AND NEW.to_state = OLD.to_state
           AND NEW.body = '' AND json_type(NEW.payload, '$.erased') IS 'true'
           AND NOT EXISTS (
               SELECT 1 FROM json_each(NEW.payload) n
               WHERE n.key NOT IN ('erased', 'changed_fields')
                 AND NOT EXISTS (
                     SELECT 1 FROM json_each(OLD.payload) o
                     WHERE o.key = n.key AND o.type = n.type AND o.value IS n.value))
           AND NOT EXISTS (
               SELECT 1 FROM json_each(NEW.payload, '$.changed_fields') c
               WHERE c.type IS NOT 'text' OR NOT EXISTS (
                   SELECT 1 FROM json_each(OLD.payload, '$.changes') o WHERE o.key IS c.value
                   UNION ALL
                   SELECT 1 FROM json_each(OLD.payload, '$.changed_fields') o
                   WHERE o.value IS c.value))
       ), 0)
       BEGIN SELECT RAISE(ABORT, 'leads_leadevent is append-only: UPDATE refused'); END;""",
    "DROP TRIGGER IF EXISTS leads_leadevent_no_delete;",
    """CREATE TRIGGER leads_leadevent_no_delete BEFORE DELETE ON leads_leadevent
       BEGIN SELECT RAISE(ABORT, 'leads_leadevent is append-only: DELETE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS leads_leadevent_no_update;",
    """CREATE TRIGGER leads_leadevent_no_update BEFORE UPDATE ON leads_leadevent
       WHEN NOT (NEW.id = OLD.id AND NEW.lead_id = OLD.lead_id AND NEW.kind = OLD.kind
                 AND NEW.actor_id IS OLD.actor_id AND NEW.created_at = OLD.created_at
                 AND NEW.from_state = OLD.from_state AND NEW.to_state = OLD.to_state
                 AND NEW.body = '' AND json(NEW.payload) = '{"erased":true}')
       BEGIN SELECT RAISE(ABORT, 'leads_leadevent is append-only: UPDATE refused'); END;""",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
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
    dependencies = [("leads", "0008_drop_redundant_fk_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
