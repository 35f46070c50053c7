"""Triggers keeping ``list_counter`` (models.ListCounter) exact.

One counter row per list and group: funding requests per (kind, status,
instruction_started) with the sum of their amounts, enrolments per status. The
dashboard reads them instead of counting 100,000 rows, and so do the lists'
totals when no date or search narrows them.

Exact by construction: the triggers run in the transaction of the change
(committed or rolled back with it); an insert is an atomic upsert, a removal
an ``UPDATE … SET row_count = row_count - 1`` (PostgreSQL re-reads the latest
row under its lock: no lost update). An update that moves a row between two
groups locks the two counter rows in one fixed order (smaller group first),
so two agents moving dossiers in opposite directions cannot deadlock.
Deposits already serialise on their number series (numbering.py), so the
counter row adds no new wait.

Built by the migration 0008 (a frozen copy) and, for ``create_all``, by
:func:`attach`. As for search_ddl.py: a migration that recreates
``funding_request`` or ``enrolment`` on SQLite must create the triggers again.
"""

from __future__ import annotations

import sqlalchemy as sa

from segur_app.domain.ddl_events import follow_tables

# Table -> (list name, its group columns as (counter column, table expression)).
GROUPS = {
    "funding_request": ("funding_request", (("kind", "{row}.kind"), ("status", "{row}.status"),
                                            ("started", "{row}.instruction_started"))),
    "enrolment": ("enrolment", (("kind", "''"), ("status", "{row}.status"),
                                ("started", "{false}"))),
}
AMOUNT = {"funding_request": "{row}.amount", "enrolment": "0"}


def _parts(table: str, row: str, false: str):
    name, groups = GROUPS[table]
    values = [expr.format(row=row, false=false) for _, expr in groups]
    columns = [column for column, _ in groups]
    return name, columns, values, AMOUNT[table].format(row=row)


def _add(table: str, row: str, false: str) -> str:
    name, columns, values, amount = _parts(table, row, false)
    return (
        f"INSERT INTO list_counter (list_name, {', '.join(columns)}, row_count, amount_total) "
        f"VALUES ('{name}', {', '.join(values)}, 1, {amount}) "
        f"ON CONFLICT (list_name, {', '.join(columns)}) DO UPDATE SET "
        f"row_count = list_counter.row_count + 1, "
        f"amount_total = list_counter.amount_total + excluded.amount_total;"
    )


def _remove(table: str, row: str, false: str) -> str:
    name, columns, values, amount = _parts(table, row, false)
    where = " AND ".join(f"{c} = {v}" for c, v in zip(columns, values))
    return (f"UPDATE list_counter SET row_count = row_count - 1, "
            f"amount_total = amount_total - {amount} "
            f"WHERE list_name = '{name}' AND {where};")


def _watched(table: str) -> str:
    columns = [expr.split(".")[1] for _, expr in GROUPS[table][1] if "{row}." in expr]
    if table == "funding_request":
        columns.append("amount")
    return ", ".join(columns)


def _group(table: str, row: str) -> str:
    _, columns, values, _ = _parts(table, row, "false")
    return f"({', '.join(values)})"


def sqlite_create(table: str) -> list[str]:
    """SQLite runs one writer at a time: no lock order to keep."""
    return [
        f"CREATE TRIGGER {table}_count_insert AFTER INSERT ON {table} "
        f"BEGIN {_add(table, 'new', '0')} END",
        f"CREATE TRIGGER {table}_count_delete AFTER DELETE ON {table} "
        f"BEGIN {_remove(table, 'old', '0')} END",
        f"CREATE TRIGGER {table}_count_update AFTER UPDATE OF {_watched(table)} ON {table} "
        f"BEGIN {_remove(table, 'old', '0')} {_add(table, 'new', '0')} END",
    ]


def pg_create(table: str) -> list[str]:
    moved_down = f"{_group(table, 'NEW')} < {_group(table, 'OLD')}"
    return [
        f"""CREATE FUNCTION {table}_count() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NOT {moved_down}) THEN
        {_remove(table, 'OLD', 'false')}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {_add(table, 'NEW', 'false')}
    END IF;
    IF TG_OP = 'UPDATE' AND {moved_down} THEN
        {_remove(table, 'OLD', 'false')}
    END IF;
    RETURN NULL;
END $$""",
        f"CREATE TRIGGER {table}_count AFTER INSERT OR DELETE OR UPDATE OF {_watched(table)} "
        f"ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_count()",
    ]


def sqlite_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_count_{event}"
            for event in ("insert", "delete", "update")]


def pg_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_count ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_count()"]


def create(connection, table: str) -> None:
    dialect = connection.dialect.name
    statements = {"sqlite": sqlite_create, "postgresql": pg_create}.get(dialect)
    for statement in statements(table) if statements else []:
        connection.exec_driver_sql(statement)


def drop(connection, table: str) -> None:
    dialect = connection.dialect.name
    statements = {"sqlite": sqlite_drop, "postgresql": pg_drop}.get(dialect)
    for statement in statements(table) if statements else []:
        connection.exec_driver_sql(statement)


def attach(metadata: sa.MetaData) -> None:
    """Create the triggers whenever ``metadata.create_all`` creates their table."""
    follow_tables(metadata, GROUPS, create=create, drop=drop)
