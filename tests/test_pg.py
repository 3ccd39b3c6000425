"""sdrcrm/pg.py, the one module that reaches past Django's public database API: a COPY loads
its rows and fails with Django's error classes, as every other statement does (so that the
import's fallbacks and retries catch Django's classes only), and the driver's own refusal of a
NUL character is recognised."""

import io

import psycopg2
import pytest
from django.db import DataError, IntegrityError, connection, transaction

from sdrcrm.pg import copy_from, value_refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def cursor():
    with connection.cursor() as c:
        c.execute("CREATE TEMPORARY TABLE pg_probe (id int PRIMARY KEY, code varchar(3))")
        yield c


COPY = "COPY pg_probe (id, code) FROM STDIN WITH (FORMAT csv)"


def _rows(cursor):
    cursor.execute("SELECT id, code FROM pg_probe ORDER BY id")
    return cursor.fetchall()


def test_copy_from_loads_the_rows(cursor):
    copy_from(cursor, COPY, io.StringIO('1,abc\n2,\n3,"x,y"\n'), size=4)
    assert _rows(cursor) == [(1, "abc"), (2, None), (3, "x,y")]


def test_a_duplicate_key_in_a_copy_is_djangos_integrity_error(cursor):
    cursor.execute("INSERT INTO pg_probe VALUES (1, 'old')")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        copy_from(cursor, COPY, io.StringIO("2,new\n1,dup\n"))
    assert type(caught.value) is IntegrityError  # django.db's, not the driver's
    assert isinstance(caught.value.__cause__, psycopg2.IntegrityError)
    assert _rows(cursor) == [(1, "old")]


def test_a_value_too_long_in_a_copy_is_djangos_data_error(cursor):
    with pytest.raises(DataError) as caught, transaction.atomic():
        copy_from(cursor, COPY, io.StringIO("1,abcd\n"))
    assert type(caught.value) is DataError
    assert isinstance(caught.value.__cause__, psycopg2.DataError)
    assert _rows(cursor) == []


def test_the_drivers_refusal_of_a_nul_character_is_recognised(cursor):
    with pytest.raises(ValueError) as caught:
        cursor.execute("INSERT INTO pg_probe VALUES (1, %s)", ["a\x00b"])
    assert value_refused(caught.value) is True
    assert value_refused(ValueError("invalid literal for int()")) is False
    assert value_refused(DataError("value too long")) is False
    assert _rows(cursor) == []
