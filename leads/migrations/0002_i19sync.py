# Issue 19: the timeline kinds of what the sync of an SDR's mailbox reads, and a prospect's count
# of temporary delivery failures.

from importlib import import_module

from django.db import migrations, models

# The SQL copy of leads.erasure.event_erased_payload with the new kinds (a test runs every kind
# through both); the same function as 0001's otherwise.
ERASED_PAYLOAD_FUNCTION = """
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
        WHEN 'reply' THEN ARRAY['source', 'matched_by', 'inbound_message_id', 'colleague']
        WHEN 'auto_reply' THEN ARRAY['source', 'matched_by', 'inbound_message_id', 'return_on',
                                     'resume_at']
        WHEN 'bounce' THEN ARRAY['source', 'matched_by', 'inbound_message_id', 'touch_id',
                                 'status', 'permanent', 'count', 'retry_at']
        WHEN 'opt_out' THEN ARRAY['source', 'matched_by', 'inbound_message_id']
        WHEN 'sdr_email' THEN ARRAY['source', 'matched_by', 'inbound_message_id', 'live']
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

PREVIOUS_FUNCTION = import_module("leads.migrations.0001_initial").ERASED_PAYLOAD_FUNCTION


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="prospect",
            name="email_soft_bounces",
            field=models.PositiveSmallIntegerField(db_default=0, default=0),
        ),
        migrations.AlterField(
            model_name="leadevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("transition", "State changed"),
                    ("note", "Note"),
                    ("call", "Call"),
                    ("email", "Email"),
                    ("score", "Score changed"),
                    ("assignment", "Assignment"),
                    ("edit", "Edited"),
                    ("checklist", "Research checklist"),
                    ("cadence", "Cadence"),
                    ("task", "Task"),
                    ("reply", "Reply"),
                    ("auto_reply", "Automatic reply"),
                    ("bounce", "Delivery failure"),
                    ("opt_out", "Opt-out by reply"),
                    ("sdr_email", "Email from the SDR's mailbox"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunSQL(ERASED_PAYLOAD_FUNCTION, PREVIOUS_FUNCTION),
    ]
