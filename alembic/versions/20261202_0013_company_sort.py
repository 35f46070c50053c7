"""company_sort: the sort by company name on the lists' own tables

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:20:00

``funding_request.company_sort`` and ``enrolment.company_sort``: a copy of the
supplier's ``search_text`` (binary order, "C" collation on PostgreSQL) with an
index ``(company_sort, id)`` followed by the list's status / kind filters, so
that the lists sorted by company name page along one index of their own table
(a page by its number: an ``OFFSET`` over that index, filters read from it,
instead of a join sorted). Filled here from the suppliers,
then kept by triggers (``segur_app/domain/sort_ddl.py``; frozen copy below):
a row inserted or moved copies its supplier's text, a supplier whose text
changes rewrites it on its rows. Columns added in place on SQLite (no table
recreated: the other triggers stay).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ('funding_request', 'enrolment')
# The list's filters, in the index too: a page by number filtered by them reads the index alone.
COVERED = {'funding_request': ['kind', 'status'], 'enrolment': ['status']}


def _sqlite_triggers(table: str) -> list[str]:
    copy = (f"UPDATE {table} SET company_sort = coalesce((SELECT search_text FROM supplier "
            f"WHERE id = new.supplier_id), '') WHERE id = new.id;")
    return [
        f"CREATE TRIGGER {table}_sort_insert AFTER INSERT ON {table} BEGIN {copy} END",
        f"CREATE TRIGGER {table}_sort_update AFTER UPDATE OF supplier_id ON {table} "
        f"BEGIN {copy} END",
        f"CREATE TRIGGER supplier_{table}_sort AFTER UPDATE OF search_text ON supplier "
        f"WHEN new.search_text IS NOT old.search_text BEGIN UPDATE {table} SET company_sort = "
        f"new.search_text WHERE supplier_id = new.id; END",
    ]


def _pg_triggers(table: str) -> list[str]:
    return [
        f"""CREATE FUNCTION {table}_sort() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    SELECT search_text INTO NEW.company_sort FROM supplier WHERE id = NEW.supplier_id FOR SHARE;
    IF NOT FOUND THEN
        NEW.company_sort := '';
    END IF;
    RETURN NEW;
END $$""",
        f"CREATE TRIGGER {table}_sort BEFORE INSERT OR UPDATE OF supplier_id ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_sort()",
        f"""CREATE FUNCTION supplier_{table}_sort() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE {table} SET company_sort = NEW.search_text WHERE supplier_id = NEW.id;
    RETURN NULL;
END $$""",
        f"CREATE TRIGGER supplier_{table}_sort AFTER UPDATE OF search_text ON supplier "
        f"FOR EACH ROW WHEN (NEW.search_text IS DISTINCT FROM OLD.search_text) "
        f"EXECUTE FUNCTION supplier_{table}_sort()",
    ]


def _drops(dialect: str, table: str) -> list[str]:
    if dialect == 'sqlite':
        return [f"DROP TRIGGER IF EXISTS {name}" for name in (
            f"{table}_sort_insert", f"{table}_sort_update", f"supplier_{table}_sort")]
    if dialect == 'postgresql':
        return [f"DROP TRIGGER IF EXISTS supplier_{table}_sort ON supplier",
                f"DROP FUNCTION IF EXISTS supplier_{table}_sort()",
                f"DROP TRIGGER IF EXISTS {table}_sort ON {table}",
                f"DROP FUNCTION IF EXISTS {table}_sort()"]
    return []


def upgrade() -> None:
    bind = op.get_bind()
    triggers = {'sqlite': _sqlite_triggers, 'postgresql': _pg_triggers}.get(bind.dialect.name)
    if bind.dialect.name == 'postgresql':  # no rename between the copy and its triggers
        op.execute("LOCK TABLE supplier IN SHARE ROW EXCLUSIVE MODE")
    for table in TABLES:
        op.add_column(table, sa.Column(
            'company_sort', sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql"),
            server_default='', nullable=False))
        # The table is locked by ADD COLUMN (PostgreSQL) / the only writer (SQLite).
        op.execute(f"UPDATE {table} SET company_sort = coalesce((SELECT search_text "
                   f"FROM supplier WHERE supplier.id = {table}.supplier_id), '')")
        op.create_index(f'ix_{table}_company_sort', table, ['company_sort', 'id'] + COVERED[table])
        for statement in triggers(table) if triggers else []:
            bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(TABLES):
        for statement in _drops(bind.dialect.name, table):
            bind.exec_driver_sql(statement)
        op.drop_index(f'ix_{table}_company_sort', table_name=table)
        op.drop_column(table, 'company_sort')
