"""What the code needs beyond Django's public database API, in one module.

A Django upgrade or the move from psycopg2 to psycopg 3 touches this file only. Everything
else goes through the ORM or a Django cursor's public ``execute``/``fetchall``.

- ``execute_values``: one multi-row statement (``INSERT … VALUES …``, ``UPDATE … FROM
  (VALUES …)``) per page of rows, written with plain placeholders and run through the
  cursor's public ``execute`` (no driver helper).
- ``copy_from``: ``COPY … FROM STDIN``, which only the driver's own cursor can do
  (psycopg2's ``copy_expert``; with psycopg 3 it becomes ``cursor.copy``). Its errors are
  turned into Django's (``django.db.IntegrityError``, ``DataError``, ``OperationalError``…)
  as every other statement's are, so callers catch Django's classes only.
- ``value_refused``: the driver's own refusal of a value before it reaches the server (a NUL
  character in a string), which Django does not wrap.
- ``model_from_row``: a model instance from values a query already read, without
  ``Model.__init__`` (on a hot path that reads thousands of rows, ``__init__`` costs a third
  of the time). Fields not given are deferred, as with ``only()``: read on access. It relies
  on what ``Model.from_db`` does (``_state.adding``/``_state.db``), not on a documented API.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model
from django.db.models.base import ModelState


def execute_values(
    sql: str, rows: Sequence[Sequence], template: str, page_size: int = 1000, cursor=None
) -> None:
    """Run ``sql`` once per ``page_size`` rows. ``sql`` holds exactly one ``%s``: where the
    rows go, each written as ``template`` (``"(%s, %s::jsonb)"``, one placeholder a value).
    ``sql`` has no other placeholder, so a literal ``%`` in it is written ``%%``."""
    if sql.count("%s") != 1:
        raise ValueError("execute_values: the statement needs exactly one %s, for the rows")
    before, after = sql.split("%s")
    for start in range(0, len(rows), page_size):
        page = rows[start : start + page_size]
        statement = before + ", ".join([template] * len(page)) + after
        params = [value for row in page for value in row]
        if cursor is not None:
            cursor.execute(statement, params)
        else:
            with connection.cursor() as c:
                c.execute(statement, params)


def copy_from(cursor, sql: str, file, size: int = 1 << 20) -> None:
    """``COPY … FROM STDIN`` (``sql``) reading ``file`` ``size`` characters at a time, on a
    Django ``cursor``. The driver's errors are raised as Django's (``IntegrityError``,
    ``DataError``, ``OperationalError``…, the driver's error as ``__cause__``), through the
    same wrapper Django puts around ``execute``."""
    with cursor.db.wrap_database_errors:
        cursor.cursor.copy_expert(sql, file, size=size)


def value_refused(exc: BaseException) -> bool:
    """Whether ``exc`` is the driver refusing a value before sending it: psycopg2 raises a
    plain ``ValueError`` for a string holding a NUL character (PostgreSQL's text cannot),
    which Django passes on unwrapped."""
    return isinstance(exc, ValueError) and "NUL (0x00)" in str(exc)


def model_from_row(model: type[Model], values: dict, db: str | None = None) -> Model:
    """An instance of ``model`` as loaded from the database with ``values`` (attribute names:
    ``company_id`` for a foreign key), built without ``Model.__init__``. Set related objects
    already read with the ordinary assignment (``prospect.company = company``)."""
    obj = model.__new__(model)
    obj.__dict__.update(values)
    obj._state = ModelState()
    obj._state.adding = False
    obj._state.db = db or connection.alias
    return obj
