# Issue 20 ("Data that stays clean"): an erased timeline entry keeps a rejection's reason code
# and the label its reason had (the team's words, not the person's), so that the figures by
# reason survive an erasure. The SQL copy of leads.erasure.event_erased_payload; the same
# function as 0002's otherwise.

from importlib import import_module

from django.db import migrations

ERASED_PAYLOAD_FUNCTION = """
CREATE OR REPLACE FUNCTION leads_leadevent_erased_payload(kind text, p jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
SELECT COALESCE((
    SELECT jsonb_object_agg(e.key, e.value)
    FROM jsonb_each(CASE WHEN jsonb_typeof(p) = 'object' THEN p ELSE '{}'::jsonb END) e
    WHERE e.key = ANY(CASE kind
        WHEN 'created' THEN ARRAY['source', 'owner_id', 'import_id', 'line', 'web_form_id',
                                  'captured_at']
        WHEN 'transition' THEN ARRAY['transition', 'reason', 'reason_code', 'reason_label',
                                     'recycle_on', 'ae_id', 'ae', 'automatic']
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

PREVIOUS_FUNCTION = import_module("leads.migrations.0002_i19sync").ERASED_PAYLOAD_FUNCTION


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0005_i20clean_reasons"),
    ]

    operations = [
        migrations.RunSQL(ERASED_PAYLOAD_FUNCTION, PREVIOUS_FUNCTION),
    ]
