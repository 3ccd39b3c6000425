"""Scratch databases of the benchmarks, on the server of DATABASE_URL.

Each benchmark works in a database of its own named after DATABASE_URL's
(``<name>_bench_<suffix>``), so runs against different DATABASE_URLs (two checkouts, a test
run beside a benchmark) never touch each other's data.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sdrcrm"


def base_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_URL)


def scratch_name(suffix: str) -> str:
    return f"{urlsplit(base_url()).path.lstrip('/') or 'sdrcrm'}_bench_{suffix}"


def url_of(name: str) -> str:
    """DATABASE_URL with its database replaced by ``name``."""
    return urlunsplit(urlsplit(base_url())._replace(path=f"/{name}", query="", fragment=""))


def admin_connect():
    """An autocommit connection to the server's ``postgres`` database."""
    import psycopg2

    conn = psycopg2.connect(url_of("postgres"))
    conn.autocommit = True
    return conn


def drop(name: str) -> None:
    """Drop database ``name`` (disconnecting its sessions), if it exists."""
    conn = admin_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def recreate(name: str) -> str:
    """Drop (disconnecting its sessions) and create database ``name``; returns its URL."""
    conn = admin_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return url_of(name)
