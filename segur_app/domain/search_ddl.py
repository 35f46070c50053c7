"""Trigram indexes of the staff lists' free-text search (see ``search.py``).

They are not SQLAlchemy objects, so they are created here, for both ways a
schema is built:

* the Alembic migration 0008 (a frozen copy of these statements);
* ``SQLModel.metadata.create_all`` (tests): :func:`attach` hooks them on the
  tables' ``after_create`` events.

PostgreSQL: a ``pg_trgm`` GIN index per searched column (the extension is
created if missing, once per database, in ``public`` when allowed).
SQLite: an external-content FTS5 table ``<table>_search`` (``trigram``
tokenizer, case-sensitive so that ``GLOB`` uses it) kept in sync by three
triggers. A migration that *recreates* one of these tables on SQLite (Alembic
batch mode) drops its triggers: it must run :func:`sqlite_create` again
(``tests/test_migrations.py`` compares the objects of a migrated database
with those of ``create_all``).
"""

from __future__ import annotations

import sqlalchemy as sa

from segur_app.domain.ddl_events import follow_tables

# Table -> its searched text column.
TRIGRAM_COLUMNS = {
    "supplier": "search_text",
    "funding_request": "dossier_number",
    "enrolment": "number",
}
_FTS_SHADOWS = ("", "_data", "_idx", "_docsize", "_config", "_content")
_PG_LOCK = 7_152_026  # advisory lock: one CREATE EXTENSION at a time on a server


def fts_table(table: str) -> str:
    return f"{table}_search"


def pg_index(table: str) -> str:
    return f"ix_{table}_{TRIGRAM_COLUMNS[table]}_trgm"


def is_search_object(name: str | None) -> bool:
    """Tables and indexes of this module (Alembic's autogenerate must not drop them)."""
    if not name:
        return False
    return name.endswith("_trgm") or any(
        name == fts_table(table) + shadow for table in TRIGRAM_COLUMNS for shadow in _FTS_SHADOWS
    )


def include_name(name, type_, parent_names) -> bool:
    """``include_name`` hook for Alembic (env.py and the migration tests)."""
    return not (type_ in ("table", "index") and is_search_object(name))


def sqlite_create(table: str) -> list[str]:
    column, fts = TRIGRAM_COLUMNS[table], fts_table(table)
    delete = f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column});"
    insert = f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', "
        f"content_rowid='id', tokenize='trigram case_sensitive 1')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {column} ON {table} "
        f"BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # rows already there
    ]


def sqlite_drop(table: str) -> list[str]:
    fts = fts_table(table)
    return [f"DROP TRIGGER IF EXISTS {fts}_{event}" for event in ("insert", "delete", "update")] + [
        f"DROP TABLE IF EXISTS {fts}"
    ]


def pg_trgm_schema(connection) -> str:
    """The schema of ``pg_trgm``, created first if needed."""
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
    find = sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                   "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")
    schema = connection.execute(find).scalar()
    if schema is None:
        # In ``public`` rather than the current schema: a test or bench schema
        # dropped with CASCADE would take the extension (and others' indexes) along.
        schema = connection.execute(sa.text(
            "SELECT CASE WHEN has_schema_privilege('public', 'CREATE') THEN 'public' "
            "ELSE current_schema() END")).scalar()
        connection.execute(sa.text(f'CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA "{schema}"'))
    return schema


def pg_create(connection, table: str) -> None:
    schema = pg_trgm_schema(connection)
    connection.execute(sa.text(
        f'CREATE INDEX {pg_index(table)} ON {table} USING gin '
        f'({TRIGRAM_COLUMNS[table]} "{schema}".gin_trgm_ops)'))


def create(connection, table: str) -> None:
    if connection.dialect.name == "sqlite":
        for statement in sqlite_create(table):
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        pg_create(connection, table)


def drop(connection, table: str) -> None:
    if connection.dialect.name == "sqlite":
        for statement in sqlite_drop(table):
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {pg_index(table)}")


def attach(metadata: sa.MetaData) -> None:
    """Build the search objects whenever ``metadata.create_all`` builds their table."""
    follow_tables(metadata, TRIGRAM_COLUMNS, create=create, drop=drop)
