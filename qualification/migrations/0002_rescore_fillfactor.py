"""Leave room in each heap page so that the set-based rescore's updates are HOT (heap-only).

A model change rewrites the score of every open lead: ``leads_lead.score`` and the row in
``qualification_leadscore``. Neither column is indexed, so PostgreSQL can keep the new row
version on the same page and skip every index, provided the page has room. With the default
fillfactor (100) it has none, and each updated lead inserts a new entry in each of leads_lead's
twelve indexes: measured on the development machine, about 45,000 leads/s instead of more than
150,000. 50 leaves room for a whole page of new versions (a batch rewrites a page at once).

Only new pages honour the setting; an existing large table needs one rewrite to benefit
(``VACUUM FULL leads_lead`` or pg_repack). PostgreSQL only: other databases skip this.
"""

from django.db import migrations

TABLES = ("leads_lead", "qualification_leadscore")


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("qualification", "0001_initial")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
