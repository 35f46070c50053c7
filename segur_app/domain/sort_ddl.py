"""Triggers keeping ``company_sort`` of the staff lists' tables equal to their supplier's
``search_text``.

The sort by company name is ``(supplier.search_text, id)``. Copied on
``funding_request`` and ``enrolment`` (column ``company_sort``, index
``(company_sort, id, …)`` followed by the list's kind / status filters), it is
a key of the list's own table: a page asked for by its number is an ``OFFSET``
along one index (index-only on PostgreSQL, filters read from the index)
instead of a join of 100,000 rows sorted, and keyset pages need no join.

Kept by the database, whatever writes (ORM, Core bulk inserts, SQL by hand):

* a row inserted (or moved to another supplier) copies its supplier's text:
  PostgreSQL ``BEFORE`` trigger, reading the supplier ``FOR SHARE`` so that a
  rename committing meanwhile waits for the insert or is seen by it (the
  rename's own trigger then updates the committed row); SQLite one writer at a
  time, an ``AFTER`` trigger;
* a supplier whose ``search_text`` changes (its name, SIRET or ANS number, the
  ORM events of ``models.suppliers``) rewrites it on its rows.

The ORM object of a freshly inserted row still holds ``""``: nothing reads it
from the ORM (the lists read columns with Core queries).

Built by the migration 0013 (a frozen copy) and, for ``create_all``, by
:func:`attach`. As for search_ddl.py: a migration that recreates ``supplier``,
``funding_request`` or ``enrolment`` on SQLite must create these triggers again.
"""

from __future__ import annotations

import sqlalchemy as sa

from segur_app.domain.ddl_events import follow_tables

TABLES = ("funding_request", "enrolment")
COLUMN = "company_sort"


def _copy(table: str, row: str) -> str:
    return (f"UPDATE {table} SET {COLUMN} = coalesce((SELECT search_text FROM supplier "
            f"WHERE id = {row}.supplier_id), '') WHERE id = {row}.id;")


def _follow(table: str) -> str:
    return f"UPDATE {table} SET {COLUMN} = new.search_text WHERE supplier_id = new.id;"


def sqlite_create(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_sort_insert AFTER INSERT ON {table} "
        f"BEGIN {_copy(table, 'new')} END",
        f"CREATE TRIGGER {table}_sort_update AFTER UPDATE OF supplier_id ON {table} "
        f"BEGIN {_copy(table, 'new')} END",
        f"CREATE TRIGGER supplier_{table}_sort AFTER UPDATE OF search_text ON supplier "
        f"WHEN new.search_text IS NOT old.search_text BEGIN {_follow(table)} END",
    ]


def pg_create(table: str) -> list[str]:
    return [
        f"""CREATE FUNCTION {table}_sort() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    SELECT search_text INTO NEW.{COLUMN} FROM supplier WHERE id = NEW.supplier_id FOR SHARE;
    IF NOT FOUND THEN
        NEW.{COLUMN} := '';
    END IF;
    RETURN NEW;
END $$""",
        f"CREATE TRIGGER {table}_sort BEFORE INSERT OR UPDATE OF supplier_id ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_sort()",
        f"""CREATE FUNCTION supplier_{table}_sort() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    {_follow(table).replace('new.', 'NEW.')}
    RETURN NULL;
END $$""",
        f"CREATE TRIGGER supplier_{table}_sort AFTER UPDATE OF search_text ON supplier "
        f"FOR EACH ROW WHEN (NEW.search_text IS DISTINCT FROM OLD.search_text) "
        f"EXECUTE FUNCTION supplier_{table}_sort()",
    ]


def sqlite_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name in (
        f"{table}_sort_insert", f"{table}_sort_update", f"supplier_{table}_sort")]


def pg_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS supplier_{table}_sort ON supplier",
            f"DROP FUNCTION IF EXISTS supplier_{table}_sort()",
            f"DROP TRIGGER IF EXISTS {table}_sort ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_sort()"]


def create(connection, table: str) -> None:
    statements = {"sqlite": sqlite_create, "postgresql": pg_create}.get(connection.dialect.name)
    for statement in statements(table) if statements else []:
        connection.exec_driver_sql(statement)


def drop(connection, table: str) -> None:
    statements = {"sqlite": sqlite_drop, "postgresql": pg_drop}.get(connection.dialect.name)
    for statement in statements(table) if statements else []:
        connection.exec_driver_sql(statement)


def attach(metadata: sa.MetaData) -> None:
    """Create the triggers whenever ``metadata.create_all`` creates their table
    (after ``supplier``, which it references)."""
    follow_tables(metadata, TABLES, create=create, drop=drop)
