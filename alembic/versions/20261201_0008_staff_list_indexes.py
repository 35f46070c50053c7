"""staff lists at 100,000 rows: search text, trigram indexes, keyset indexes, list counters

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:05:00

* ``supplier.search_text``: normalised company name, SIRET and ANS number
  (segur_app/domain/search.py), the lists' search and sort key, filled here.
* ``funding_request.instruction_started``: an agent recorded a control or a
  piece decision (the dashboard's « En cours »), filled here.
* Indexes whose keys end with the id (keyset pagination), the pending
  enrolments' partial index.
* ``list_counter``: rows per list and group, filled here, then kept by
  triggers (frozen copy of segur_app/domain/counters_ddl.py).
* Trigram search: ``pg_trgm`` GIN indexes on PostgreSQL, external-content FTS5
  tables with their triggers on SQLite (frozen copy of
  segur_app/domain/search_ddl.py as of this revision).
"""
import unicodedata
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TRIGRAM_COLUMNS = {"supplier": "search_text", "funding_request": "dossier_number",
                   "enrolment": "number"}
PENDING = "status IN ('submitted', 'in_review')"

COUNTER_TRIGGERS = {
    'sqlite': [
        ('CREATE TRIGGER funding_request_count_insert AFTER INSERT ON funding_request BEGIN '
         'INSERT INTO list_counter (list_name, kind, status, started, row_count, amount_total)'
         " VALUES ('funding_request', new.kind, new.status, new.instruction_started, 1, "
         'new.amount) ON CONFLICT (list_name, kind, status, started) DO UPDATE SET row_count ='
         ' list_counter.row_count + 1, amount_total = list_counter.amount_total + '
         'excluded.amount_total; END'),
        ('CREATE TRIGGER funding_request_count_delete AFTER DELETE ON funding_request BEGIN '
         'UPDATE list_counter SET row_count = row_count - 1, amount_total = amount_total - '
         "old.amount WHERE list_name = 'funding_request' AND kind = old.kind AND status = "
         'old.status AND started = old.instruction_started; END'),
        ('CREATE TRIGGER funding_request_count_update AFTER UPDATE OF kind, status, '
         'instruction_started, amount ON funding_request BEGIN UPDATE list_counter SET '
         'row_count = row_count - 1, amount_total = amount_total - old.amount WHERE list_name '
         "= 'funding_request' AND kind = old.kind AND status = old.status AND started = "
         'old.instruction_started; INSERT INTO list_counter (list_name, kind, status, started,'
         " row_count, amount_total) VALUES ('funding_request', new.kind, new.status, "
         'new.instruction_started, 1, new.amount) ON CONFLICT (list_name, kind, status, '
         'started) DO UPDATE SET row_count = list_counter.row_count + 1, amount_total = '
         'list_counter.amount_total + excluded.amount_total; END'),
        ('CREATE TRIGGER enrolment_count_insert AFTER INSERT ON enrolment BEGIN INSERT INTO '
         'list_counter (list_name, kind, status, started, row_count, amount_total) VALUES '
         "('enrolment', '', new.status, 0, 1, 0) ON CONFLICT (list_name, kind, status, "
         'started) DO UPDATE SET row_count = list_counter.row_count + 1, amount_total = '
         'list_counter.amount_total + excluded.amount_total; END'),
        ('CREATE TRIGGER enrolment_count_delete AFTER DELETE ON enrolment BEGIN UPDATE '
         'list_counter SET row_count = row_count - 1, amount_total = amount_total - 0 WHERE '
         "list_name = 'enrolment' AND kind = '' AND status = old.status AND started = 0; END"),
        ('CREATE TRIGGER enrolment_count_update AFTER UPDATE OF status ON enrolment BEGIN '
         'UPDATE list_counter SET row_count = row_count - 1, amount_total = amount_total - 0 '
         "WHERE list_name = 'enrolment' AND kind = '' AND status = old.status AND started = 0;"
         ' INSERT INTO list_counter (list_name, kind, status, started, row_count, '
         "amount_total) VALUES ('enrolment', '', new.status, 0, 1, 0) ON CONFLICT (list_name, "
         'kind, status, started) DO UPDATE SET row_count = list_counter.row_count + 1, '
         'amount_total = list_counter.amount_total + excluded.amount_total; END'),
    ],
    'postgresql': [
        ('CREATE FUNCTION funding_request_count() RETURNS trigger LANGUAGE plpgsql\n'
         'SET search_path FROM CURRENT AS $$\n'
         'BEGIN\n'
         "    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NOT (NEW.kind, NEW.status, "
         'NEW.instruction_started) < (OLD.kind, OLD.status, OLD.instruction_started)) THEN\n'
         '        UPDATE list_counter SET row_count = row_count - 1, amount_total = '
         "amount_total - OLD.amount WHERE list_name = 'funding_request' AND kind = OLD.kind "
         'AND status = OLD.status AND started = OLD.instruction_started;\n'
         '    END IF;\n'
         "    IF TG_OP IN ('INSERT', 'UPDATE') THEN\n"
         '        INSERT INTO list_counter (list_name, kind, status, started, row_count, '
         "amount_total) VALUES ('funding_request', NEW.kind, NEW.status, "
         'NEW.instruction_started, 1, NEW.amount) ON CONFLICT (list_name, kind, status, '
         'started) DO UPDATE SET row_count = list_counter.row_count + 1, amount_total = '
         'list_counter.amount_total + excluded.amount_total;\n'
         '    END IF;\n'
         "    IF TG_OP = 'UPDATE' AND (NEW.kind, NEW.status, NEW.instruction_started) < "
         '(OLD.kind, OLD.status, OLD.instruction_started) THEN\n'
         '        UPDATE list_counter SET row_count = row_count - 1, amount_total = '
         "amount_total - OLD.amount WHERE list_name = 'funding_request' AND kind = OLD.kind "
         'AND status = OLD.status AND started = OLD.instruction_started;\n'
         '    END IF;\n'
         '    RETURN NULL;\n'
         'END $$'),
        ('CREATE TRIGGER funding_request_count AFTER INSERT OR DELETE OR UPDATE OF kind, '
         'status, instruction_started, amount ON funding_request FOR EACH ROW EXECUTE FUNCTION'
         ' funding_request_count()'),
        ('CREATE FUNCTION enrolment_count() RETURNS trigger LANGUAGE plpgsql\n'
         'SET search_path FROM CURRENT AS $$\n'
         'BEGIN\n'
         "    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NOT ('', NEW.status, false) < ('', "
         'OLD.status, false)) THEN\n'
         '        UPDATE list_counter SET row_count = row_count - 1, amount_total = '
         "amount_total - 0 WHERE list_name = 'enrolment' AND kind = '' AND status = OLD.status"
         ' AND started = false;\n'
         '    END IF;\n'
         "    IF TG_OP IN ('INSERT', 'UPDATE') THEN\n"
         '        INSERT INTO list_counter (list_name, kind, status, started, row_count, '
         "amount_total) VALUES ('enrolment', '', NEW.status, false, 1, 0) ON CONFLICT "
         '(list_name, kind, status, started) DO UPDATE SET row_count = list_counter.row_count '
         '+ 1, amount_total = list_counter.amount_total + excluded.amount_total;\n'
         '    END IF;\n'
         "    IF TG_OP = 'UPDATE' AND ('', NEW.status, false) < ('', OLD.status, false) THEN\n"
         '        UPDATE list_counter SET row_count = row_count - 1, amount_total = '
         "amount_total - 0 WHERE list_name = 'enrolment' AND kind = '' AND status = OLD.status"
         ' AND started = false;\n'
         '    END IF;\n'
         '    RETURN NULL;\n'
         'END $$'),
        ('CREATE TRIGGER enrolment_count AFTER INSERT OR DELETE OR UPDATE OF status ON '
         'enrolment FOR EACH ROW EXECUTE FUNCTION enrolment_count()'),
    ],
}
COUNTER_DROPS = {
    "sqlite": [f"DROP TRIGGER IF EXISTS {table}_count_{event}"
               for table in ("funding_request", "enrolment")
               for event in ("insert", "delete", "update")],
    "postgresql": [statement for table in ("funding_request", "enrolment") for statement in (
        f"DROP TRIGGER IF EXISTS {table}_count ON {table}",
        f"DROP FUNCTION IF EXISTS {table}_count()")],
}


_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ħ": "h"})


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    folded = folded.translate(_LIGATURES)
    kept = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return " ".join(kept.split())


def _supplier_text(*parts: str) -> str:
    return "\x1f".join(_normalise(part) for part in parts)


def _create_search(bind, table: str) -> None:
    column, fts = TRIGRAM_COLUMNS[table], f"{table}_search"
    if bind.dialect.name == "sqlite":
        delete = f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column});"
        insert = f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column});"
        for statement in (
            f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', "
            f"content_rowid='id', tokenize='trigram case_sensitive 1')",
            f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END",
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END",
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {column} ON {table} "
            f"BEGIN {delete} {insert} END",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ):
            bind.exec_driver_sql(statement)
    elif bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT pg_advisory_xact_lock(7152026)"))
        schema = bind.execute(sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")).scalar()
        if schema is None:
            schema = bind.execute(sa.text(
                "SELECT CASE WHEN has_schema_privilege('public', 'CREATE') THEN 'public' "
                "ELSE current_schema() END")).scalar()
            bind.exec_driver_sql(f'CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA "{schema}"')
        bind.exec_driver_sql(f'CREATE INDEX ix_{table}_{column}_trgm ON {table} USING gin '
                             f'({column} "{schema}".gin_trgm_ops)')


def _drop_search(bind, table: str) -> None:
    column, fts = TRIGRAM_COLUMNS[table], f"{table}_search"
    if bind.dialect.name == "sqlite":
        for event in ("insert", "delete", "update"):
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {fts}_{event}")
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}")
    elif bind.dialect.name == "postgresql":
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column('supplier', sa.Column(
        'search_text', sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql"),
        server_default='', nullable=False))
    supplier = sa.table('supplier', sa.column('id'), sa.column('company_name'),
                        sa.column('siret'), sa.column('ans_number'), sa.column('search_text'))
    rows = bind.execute(sa.select(supplier.c.id, supplier.c.company_name, supplier.c.siret,
                                  supplier.c.ans_number)).all()
    if rows:
        bind.execute(supplier.update().where(supplier.c.id == sa.bindparam('key'))
                     .values(search_text=sa.bindparam('text')),
                     [{'key': i, 'text': _supplier_text(n, s, a)} for i, n, s, a in rows])

    op.add_column('funding_request', sa.Column(
        'instruction_started', sa.Boolean(), server_default=sa.false(), nullable=False))
    request = sa.table('funding_request', sa.column('id'), sa.column('info_control'),
                       sa.column('bank_control'), sa.column('instruction_started'))
    attachment = sa.table('attachment', sa.column('funding_request_id'), sa.column('review_status'))
    bind.execute(request.update().where(sa.or_(
        request.c.info_control != 'a_instruire',
        request.c.bank_control != 'a_instruire',
        sa.exists().where(attachment.c.funding_request_id == request.c.id,
                          attachment.c.review_status != 'a_instruire'),
    )).values(instruction_started=sa.true()))

    op.drop_index('ix_funding_request_deposited_at', table_name='funding_request')
    op.drop_index('ix_funding_request_status', table_name='funding_request')
    op.drop_index('ix_funding_request_kind_status_deposited', table_name='funding_request')
    op.create_index('ix_funding_request_deposited', 'funding_request', ['deposited_at', 'id'])
    op.create_index('ix_funding_request_kind_status_deposited', 'funding_request',
                    ['kind', 'status', 'deposited_at', 'id'])
    op.create_index('ix_funding_request_status_deposited', 'funding_request',
                    ['status', 'deposited_at', 'id'])
    op.create_index('ix_enrolment_submitted', 'enrolment', ['submitted_at', 'id'])
    op.create_index('ix_enrolment_status_submitted', 'enrolment', ['status', 'submitted_at', 'id'])
    op.create_index('ix_enrolment_pending_submitted', 'enrolment', ['submitted_at', 'id'],
                    sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))
    op.create_index('ix_supplier_search_text', 'supplier', ['search_text'])
    for table in TRIGRAM_COLUMNS:
        _create_search(bind, table)

    op.create_table('list_counter',
    sa.Column('list_name', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started', sa.Boolean(), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.Column('amount_total', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('list_name', 'kind', 'status', 'started', name=op.f('pk_list_counter'))
    )
    # Counted in the migration's transaction, with the triggers created in it too.
    op.execute(
        "INSERT INTO list_counter (list_name, kind, status, started, row_count, amount_total) "
        "SELECT 'funding_request', kind, status, instruction_started, count(*), sum(amount) "
        "FROM funding_request GROUP BY kind, status, instruction_started")
    op.execute(
        "INSERT INTO list_counter (list_name, kind, status, started, row_count, amount_total) "
        f"SELECT 'enrolment', '', status, {'false' if bind.dialect.name == 'postgresql' else '0'}, "
        "count(*), 0 FROM enrolment GROUP BY status")
    for statement in COUNTER_TRIGGERS.get(bind.dialect.name, []):
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in COUNTER_DROPS.get(bind.dialect.name, []):
        bind.exec_driver_sql(statement)
    op.drop_table('list_counter')
    for table in TRIGRAM_COLUMNS:
        _drop_search(bind, table)
    op.drop_index('ix_supplier_search_text', table_name='supplier')
    op.drop_index('ix_enrolment_pending_submitted', table_name='enrolment')
    op.drop_index('ix_enrolment_status_submitted', table_name='enrolment')
    op.drop_index('ix_enrolment_submitted', table_name='enrolment')
    op.drop_index('ix_funding_request_status_deposited', table_name='funding_request')
    op.drop_index('ix_funding_request_kind_status_deposited', table_name='funding_request')
    op.drop_index('ix_funding_request_deposited', table_name='funding_request')
    op.create_index('ix_funding_request_kind_status_deposited', 'funding_request',
                    ['kind', 'status', 'deposited_at'])
    op.create_index('ix_funding_request_status', 'funding_request', ['status'])
    op.create_index('ix_funding_request_deposited_at', 'funding_request', ['deposited_at'])
    op.drop_column('funding_request', 'instruction_started')
    op.drop_column('supplier', 'search_text')
