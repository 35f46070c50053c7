"""one vocabulary: every stored status code is French, as the funding requests' were

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:45:00

Enrolments, assistance tickets and outbox emails stored English codes while
funding requests stored French ones (``a_instruire``, ``validee``…). Codes are
what URLs (``?statut=``), CSV files and the database show, so they are now
French everywhere; the labels do not change.

* the rows are rewritten, the list counters follow (their triggers move each row);
* the ``status IN (…)`` checks are replaced: on PostgreSQL with ALTER TABLE; on
  SQLite by rewriting the check's text in the schema (the procedure SQLite
  documents for changing a CHECK constraint without rebuilding the table —
  rebuilding would drop the counter and search triggers and, with foreign keys
  on, cascade the referencing rows);
* the two partial indexes written with the codes are recreated.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# table -> [(old code, new code)] in the order of the check constraint
CODES = {
    "enrolment": [("submitted", "a_instruire"), ("in_review", "en_cours"),
                  ("approved", "validee"), ("rejected", "rejetee")],
    "assistance_ticket": [("open", "en_attente"), ("answered", "repondue"), ("closed", "close")],
    "email_message": [("pending", "en_attente"), ("sent", "envoye"), ("failed", "echec")],
}
PARTIAL = {  # name -> (columns, unique, predicate by direction)
    "uq_enrolment_active_supplier": (["supplier_id"], True,
                                     {"old": "status != 'rejected'", "new": "status != 'rejetee'"}),
    "ix_enrolment_pending_submitted": (["submitted_at", "id"], False,
                                       {"old": "status IN ('submitted', 'in_review')",
                                        "new": "status IN ('a_instruire', 'en_cours')"}),
}


def _check(codes: list[str]) -> str:
    return "status IN (" + ", ".join(f"'{c}'" for c in codes) + ")"


def _sqlite_set_check(bind, table: str, old: list[str], new: list[str]) -> None:
    old_text, new_text = _check(old), _check(new)
    row = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    if old_text not in row:
        raise RuntimeError(f"{table}: check {old_text!r} not found in its schema")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                         (row.replace(old_text, new_text), table))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _move(direction: str) -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    for name, (columns, unique, predicates) in PARTIAL.items():
        op.drop_index(name, table_name="enrolment")
    for table, pairs in CODES.items():
        source = [o if direction == "new" else n for o, n in pairs]
        target = [n if direction == "new" else o for o, n in pairs]
        constraint = f"ck_{table}_status_valid"
        if sqlite:  # accept both while the rows move, then the target codes only
            _sqlite_set_check(bind, table, source, source + target)
        else:
            op.drop_constraint(op.f(constraint), table, type_="check")
        for before, after in zip(source, target):
            bind.execute(sa.text(f"UPDATE {table} SET status = :after WHERE status = :before"),
                         {"before": before, "after": after})
        if sqlite:
            _sqlite_set_check(bind, table, source + target, target)
        else:
            op.create_check_constraint(op.f(constraint), table, sa.text(_check(target)))
    for name, (columns, unique, predicates) in PARTIAL.items():
        where = sa.text(predicates[direction])
        op.create_index(name, "enrolment", columns, unique=unique,
                        sqlite_where=where, postgresql_where=where)
    if sqlite:
        problems = bind.exec_driver_sql("PRAGMA integrity_check").scalars().all()
        if problems != ["ok"]:
            raise RuntimeError(f"integrity_check after the status codes: {problems}")


def upgrade() -> None:
    _move("new")


def downgrade() -> None:
    _move("old")
