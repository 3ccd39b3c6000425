"""Database objects that Django's models cannot declare, made by the migrations.

``append_only_trigger`` is the one definition of an append-only table: a trigger that refuses
every UPDATE and DELETE of a row, whatever code tries them (TRUNCATE, which the test teardown
uses, is not a row operation), except an UPDATE that ``allow_update_sql`` allows.
"""

from django.db import migrations


def append_only_trigger(table: str, allow_update_sql: str | None = None) -> migrations.RunSQL:
    """The RunSQL making ``table`` append-only: the function ``<table>_append_only()`` and the
    trigger ``<table>_no_update_delete``. ``allow_update_sql`` is a PL/pgSQL condition on OLD
    and NEW: an UPDATE for which it is true goes through (leads_leadevent's erasure)."""
    function = f"{table}_append_only"
    allow = (
        f"""    IF TG_OP = 'UPDATE'
       AND {allow_update_sql} THEN
        RETURN NEW;
    END IF;
"""
        if allow_update_sql
        else ""
    )
    return migrations.RunSQL(
        sql=f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
{allow}    RAISE EXCEPTION '{table} is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_no_update_delete
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
""",
        reverse_sql=f"""
DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};
DROP FUNCTION IF EXISTS {function}();
""",
    )


def fillfactor(table: str, percent: int) -> migrations.RunSQL:
    """Leave (100 - percent)% of each new heap page of ``table`` free, for HOT updates."""
    return migrations.RunSQL(
        sql=f"ALTER TABLE {table} SET (fillfactor = {int(percent)})",
        reverse_sql=f"ALTER TABLE {table} RESET (fillfactor)",
    )
