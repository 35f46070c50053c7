"""Alembic migrations: they build the schema on every backend and match the models."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from segur_app.core.db import make_engine
from segur_app.core.migrations import (
    alembic_config,
    schema_problems,
    upgrade_to_head,
    use_portal_schema_check,
)
from segur_app.domain.search_ddl import include_name
from tests.conftest import DB_BACKENDS, create_empty_database


@pytest.fixture(params=DB_BACKENDS)
def empty_engine(request, tmp_path):
    url, cleanup = create_empty_database(request.param, tmp_path)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    cleanup()


def test_upgrade_head_creates_every_model_table(empty_engine):
    upgrade_to_head(empty_engine)
    tables = set(sa.inspect(empty_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_models_and_migrations_agree(empty_engine):
    """No pending autogenerate diff: every model change comes with a migration."""
    upgrade_to_head(empty_engine)
    with empty_engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == [], f"models differ from migrations, run alembic revision --autogenerate: {diff}"


def test_the_start_up_check_reports_a_database_behind_or_drifted_and_nothing_else(
    empty_engine
):
    """What ``reflex run`` logs at start (core/migrations.use_portal_schema_check):
    nothing on an up-to-date database (its search tables included), the command
    to run on a database behind, the drift when a model has no migration."""
    [behind] = schema_problems(empty_engine)
    assert "aucune" in behind and "make migrate" in behind
    upgrade_to_head(empty_engine)
    assert schema_problems(empty_engine) == []
    with empty_engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_funding_request_deposited"))
    [drift] = schema_problems(empty_engine)
    assert "diffèrent des migrations" in drift and "ix_funding_request_deposited" in drift


def test_reflex_run_uses_the_portal_check(monkeypatch):
    from reflex.utils import prerequisites

    monkeypatch.setattr(prerequisites, "check_schema_up_to_date", None)
    use_portal_schema_check()
    assert prerequisites.check_schema_up_to_date.__module__ == "segur_app.core.migrations"


def test_downgrade_to_base_and_up_again(empty_engine):
    upgrade_to_head(empty_engine)
    cfg = alembic_config()
    with empty_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(sa.inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade_to_head(empty_engine)
    assert "funding_request" in sa.inspect(empty_engine).get_table_names()


def test_standalone_alembic_command_uses_reflex_db_url(tmp_path, monkeypatch):
    """`alembic upgrade head` (no Reflex involved) migrates the REFLEX_DB_URL database."""
    import subprocess
    import sys

    from segur_app.core.config import PROJECT_ROOT

    db_file = tmp_path / "standalone.db"
    env = {"REFLEX_DB_URL": f"sqlite:///{db_file}", "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=PROJECT_ROOT, env=env, check=True, capture_output=True,
    )
    engine = make_engine(f"sqlite:///{db_file}")
    assert "supplier" in sa.inspect(engine).get_table_names()
    engine.dispose()


def _migrate(engine, direction: str, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, direction)(cfg, revision)


def test_0006_carries_lockout_counters_over_and_back(empty_engine):
    """Moving the lockout to login_throttle keeps the locks in force (and back)."""
    from datetime import datetime, timedelta, timezone

    from segur_app.domain.throttling import identifiant_key

    _migrate(empty_engine, "upgrade", "0005")
    until = datetime.now(timezone.utc) + timedelta(minutes=10)
    with empty_engine.begin() as conn:
        for n, (identifiant, failures, locked) in enumerate(
            [("lock.ed", 0, until), ("fail.ed", 3, None), ("calm.one", 0, None)]
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO user_account (id, identifiant, email, first_name, last_name, "
                    "role, is_active, password_hash, must_change_password, failed_login_count, "
                    "locked_until, created_at) VALUES (:id, :i, :e, 'A', 'B', 'supplier', "
                    "true, 'x', false, :f, :l, :c)"
                ),
                {"id": n + 1, "i": identifiant, "e": f"{identifiant}@x.example", "f": failures,
                 "l": locked, "c": datetime.now(timezone.utc)},
            )
    _migrate(empty_engine, "upgrade", "0006")
    with empty_engine.connect() as conn:
        rows = {k: (f, l) for k, f, l in conn.execute(sa.text(
            "SELECT key_hash, failed_count, locked_until FROM login_throttle"))}
    assert set(rows) == {identifiant_key("lock.ed"), identifiant_key("fail.ed")}
    assert rows[identifiant_key("fail.ed")][0] == 3
    assert rows[identifiant_key("lock.ed")][1] is not None

    _migrate(empty_engine, "downgrade", "0005")
    with empty_engine.connect() as conn:
        back = dict(conn.execute(sa.text(
            "SELECT identifiant, failed_login_count FROM user_account")).all())
        locked = conn.execute(sa.text(
            "SELECT identifiant FROM user_account WHERE locked_until IS NOT NULL")).scalars().all()
    assert back == {"lock.ed": 0, "fail.ed": 3, "calm.one": 0}
    assert locked == ["lock.ed"]


def _search_objects(engine) -> set[tuple[str, str]]:
    """The objects that are not SQLAlchemy's (search_ddl.py, counters_ddl.py): FTS5 tables,
    triggers, trigram indexes, trigger functions — and their definitions."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master "
                "WHERE name LIKE '%\\_search%' ESCAPE '\\' OR type = 'trigger'").all()
        else:
            rows = conn.execute(sa.text(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND right(indexname, 5) = '_trgm' "
                "UNION ALL SELECT tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
                "AND c.relnamespace = current_schema()::regnamespace "
                "UNION ALL SELECT proname, pg_get_functiondef(p.oid) FROM pg_proc p "
                "WHERE p.pronamespace = current_schema()::regnamespace")).all()
        # PostgreSQL names the (per-test) schema: not part of the definition.
        return {(name, re.sub(r"\bt_[0-9a-f]{12}\.|'t_[0-9a-f]{12}'|\bt_[0-9a-f]{12}\b", "",
                              " ".join((sql or "").split())))
                for name, sql in rows}


def test_search_objects_of_the_migration_are_those_of_create_all(empty_engine, tmp_path):
    """Tests build the schema with create_all: they must get the real FTS5 / pg_trgm objects."""
    upgrade_to_head(empty_engine)
    url, cleanup = create_empty_database(empty_engine.dialect.name, tmp_path)
    created = make_engine(url)
    try:
        SQLModel.metadata.create_all(created)
        migrated = _search_objects(empty_engine)
        assert migrated == _search_objects(created)
        # SQLite: per searched table an FTS5 table, 4 shadow tables, 3 triggers, plus
        # ix_supplier_search_text, 2 × 3 counter triggers and 2 × 3 company_sort triggers.
        # PostgreSQL: 3 trigram indexes, 2 counter triggers and their 2 functions,
        # 2 × 2 company_sort triggers and their 2 × 2 functions.
        assert len(migrated) == (3 * 8 + 1 + 6 + 6 if empty_engine.dialect.name == "sqlite"
                                 else 7 + 8)
    finally:
        created.dispose()
        cleanup()


def test_0008_fills_the_search_text_and_the_started_flag(empty_engine):
    """Rows already there are found by the new search and counted « En cours » when touched."""
    from datetime import datetime, timezone

    from sqlmodel import Session

    from segur_app.domain.funding import staff_list
    from segur_app.domain.funding.staff_list import RequestFilters

    _migrate(empty_engine, "upgrade", "0006")
    now = datetime.now(timezone.utc)
    with empty_engine.begin() as conn:
        for n, (name, control) in enumerate([("ÉDITIONS D'AVANT", "ok"),
                                             ("Société Ancienne", "a_instruire")]):
            conn.execute(sa.text(
                "INSERT INTO supplier (id, ans_number, siret, company_name, street, postal_code, "
                "city, created_at) VALUES (:id, :ans, :siret, :name, 'x', '75001', 'PARIS', :now)"),
                {"id": n + 1, "ans": f"tndSAS000{n}", "siret": f"3943106760000{n}", "name": name,
                 "now": now})
            conn.execute(sa.text(
                "INSERT INTO funding_request (id, dossier_number, supplier_id, kind, status, "
                "deposited_at, status_changed_at, amount, vat_label, iban, bic, bank_holder, "
                "bank_domiciliation, info_control, bank_control, version) VALUES (:id, :number, "
                ":id, 'avance', 'en_cours', :now, :now, 30000, 'HT', '', '', '', '', :control, "
                "'a_instruire', 1)"),
                {"id": n + 1, "number": f"FINSAS00000{n + 1}", "now": now, "control": control})
    _migrate(empty_engine, "upgrade", "head")
    with Session(empty_engine) as session:
        rows, _ = staff_list.list_requests(session, filters=RequestFilters(search="editions d av"))
        assert [r.company_name for r in rows] == ["ÉDITIONS D'AVANT"]
        rows, _ = staff_list.list_requests(session, filters=RequestFilters(search="SOCIETE"))
        assert [r.dossier_number for r in rows] == ["FINSAS000002"]
        advance = staff_list.counters(session)[0]
        assert (advance.to_review, advance.in_progress) == (1, 1)


def test_0009_moves_the_status_codes_with_their_counters_and_back(empty_engine):
    """Enrolment, ticket and email codes become French; the counters follow the rows, the
    checks accept the new codes only, the partial indexes use them; and back."""
    from datetime import datetime, timezone

    _migrate(empty_engine, "upgrade", "0008")
    now = datetime.now(timezone.utc)
    statuses = ["approved", "approved", "submitted", "in_review", "rejected"]
    with empty_engine.begin() as conn:
        for n, status in enumerate(statuses):
            conn.execute(sa.text(
                "INSERT INTO supplier (id, ans_number, siret, company_name, street, postal_code, "
                "city, created_at, search_text) VALUES (:id, :ans, :siret, 'S', 'x', '75001', "
                "'PARIS', :now, 's')"),
                {"id": n + 1, "ans": f"tndSAS000{n}", "siret": f"3943106760000{n}", "now": now})
            conn.execute(sa.text(
                "INSERT INTO enrolment (id, number, supplier_id, status, submitted_at, "
                "status_changed_at, legal_rep_civility, legal_rep_last_name, "
                "legal_rep_first_name, legal_rep_role, contact_last_name, contact_first_name, "
                "contact_email, contact_phone, version) VALUES (:id, :number, :id, :status, "
                ":now, :now, 'M.', 'A', 'B', 'C', 'D', 'E', 'e@x.example', '0600000000', 1)"),
                {"id": n + 1, "number": f"ENRSAS00000{n + 1}", "status": status, "now": now})
        conn.execute(sa.text(
            "INSERT INTO assistance_ticket (id, number, category, contact_name, contact_email, "
            "message, status, created_at) VALUES (1, 'ASSSAS000001', 'autre', 'A', "
            "'a@x.example', 'm', 'answered', :now)"), {"now": now})
        conn.execute(sa.text(
            "INSERT INTO email_message (id, template, to_address, subject, body_text, status, "
            "attempts, created_at, next_attempt_at) VALUES (1, 'x', 'a@x.example', 's', 't', "
            "'sent', 1, :now, :now)"), {"now": now})

    def counted(conn) -> dict[str, int]:
        return {s: c for s, c in conn.execute(sa.text(
            "SELECT status, row_count FROM list_counter WHERE list_name = 'enrolment' "
            "AND row_count != 0"))}

    def codes(conn, table) -> list[str]:
        return conn.execute(sa.text(f"SELECT status FROM {table} ORDER BY id")).scalars().all()

    _migrate(empty_engine, "upgrade", "0009")
    with empty_engine.connect() as conn:
        assert codes(conn, "enrolment") == ["validee", "validee", "a_instruire", "en_cours",
                                            "rejetee"]
        assert codes(conn, "assistance_ticket") == ["repondue"]
        assert codes(conn, "email_message") == ["envoye"]
        assert counted(conn) == {"validee": 2, "a_instruire": 1, "en_cours": 1, "rejetee": 1}
        pending = conn.execute(sa.text(
            "SELECT count(*) FROM enrolment WHERE status IN ('a_instruire', 'en_cours')")).scalar()
        assert pending == 2
    with pytest.raises(sa.exc.IntegrityError):  # the check knows the new codes only
        with empty_engine.begin() as conn:
            conn.execute(sa.text("UPDATE enrolment SET status = 'approved' WHERE id = 1"))
    with pytest.raises(sa.exc.IntegrityError):  # one active enrolment per supplier, still
        with empty_engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO enrolment (id, number, supplier_id, status, submitted_at, "
                "status_changed_at, legal_rep_civility, legal_rep_last_name, "
                "legal_rep_first_name, legal_rep_role, contact_last_name, contact_first_name, "
                "contact_email, contact_phone, version) VALUES (9, 'ENRSAS000009', 1, "
                "'a_instruire', :now, :now, 'M.', 'A', 'B', 'C', 'D', 'E', 'e@x.example', "
                "'0600000000', 1)"), {"now": now})

    _migrate(empty_engine, "downgrade", "0008")
    with empty_engine.connect() as conn:
        assert codes(conn, "enrolment") == statuses
        assert codes(conn, "assistance_ticket") == ["answered"]
        assert counted(conn) == {"approved": 2, "submitted": 1, "in_review": 1, "rejected": 1}


def test_0011_widens_the_status_in_place_with_pieces_referencing_dossiers(empty_engine):
    """Rows referencing funding_request (foreign keys on): the new status is accepted,
    others still refused, counters and search kept; and back down."""
    from datetime import datetime, timezone

    _migrate(empty_engine, "upgrade", "0008")
    now = datetime.now(timezone.utc)
    with empty_engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO supplier (id, ans_number, siret, company_name, street, postal_code, "
            "city, created_at, search_text) VALUES (1, 'tndSAS0001', '39431067600017', 'X', "
            "'x', '75001', 'PARIS', :now, 'x')"), {"now": now})
        conn.execute(sa.text(
            "INSERT INTO funding_request (id, dossier_number, supplier_id, kind, status, "
            "deposited_at, status_changed_at, amount, vat_label, iban, bic, bank_holder, "
            "bank_domiciliation, info_control, bank_control, version, instruction_started) "
            "VALUES (1, 'FINSAS000001', 1, 'avance', 'en_cours', :now, :now, 30000, 'HT', '', "
            "'', '', '', 'a_instruire', 'a_instruire', 1, false)"), {"now": now})
        conn.execute(sa.text(
            "INSERT INTO attachment (id, kind, original_name, size_bytes, sha256, mime_type, "
            "storage_key, uploaded_at, funding_request_id, review_status) VALUES (1, "
            "'facture', 'a.pdf', 3, 'x', 'application/pdf', 'k1', :now, 1, 'a_instruire')"),
            {"now": now})
    _migrate(empty_engine, "upgrade", "head")
    with empty_engine.begin() as conn:
        conn.execute(sa.text("UPDATE funding_request SET status = 'complements'"))
        counted = conn.execute(sa.text(
            "SELECT status, row_count FROM list_counter WHERE row_count > 0")).all()
        assert [tuple(r) for r in counted] == [("complements", 1)]
    with pytest.raises(sa.exc.IntegrityError):
        with empty_engine.begin() as conn:
            conn.execute(sa.text("UPDATE funding_request SET status = 'inconnu'"))
    with empty_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM attachment")).scalar() == 1
    _migrate(empty_engine, "downgrade", "0008")
    with empty_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM funding_request")).scalar() == "en_cours"


def test_0013_copies_the_supplier_names_then_keeps_them_and_back(empty_engine):
    """Rows already there get their supplier's search_text, then follow it; the list
    sorted by company name is that order; downgrade removes the column and triggers."""
    from datetime import datetime, timezone

    from sqlmodel import Session

    from segur_app.domain.enrolment import staff_list as enrolments
    from segur_app.domain.enrolment.staff_list import EnrolmentFilters
    from segur_app.domain.funding import staff_list
    from segur_app.domain.funding.staff_list import RequestFilters

    _migrate(empty_engine, "upgrade", "0012")
    now = datetime.now(timezone.utc)
    with empty_engine.begin() as conn:
        for n, text in enumerate(["zeta\x1f1", "alpha\x1f2", "milieu\x1f3"]):
            conn.execute(sa.text(
                "INSERT INTO supplier (id, ans_number, siret, company_name, street, "
                "postal_code, city, created_at, search_text) VALUES (:id, :ans, :siret, :name, "
                "'x', '75001', 'PARIS', :now, :text)"),
                {"id": n + 1, "ans": f"tndSAS000{n}", "siret": f"3943106760000{n}",
                 "name": text.split("\x1f")[0].upper(), "now": now, "text": text})
            conn.execute(sa.text(
                "INSERT INTO funding_request (id, dossier_number, supplier_id, kind, status, "
                "deposited_at, status_changed_at, amount, vat_label, iban, bic, bank_holder, "
                "bank_domiciliation, info_control, bank_control, version) VALUES (:id, :number, "
                ":id, 'avance', 'en_cours', :now, :now, 30000, 'HT', '', '', '', '', "
                "'a_instruire', 'a_instruire', 1)"),
                {"id": n + 1, "number": f"FINSAS00000{n + 1}", "now": now})
            conn.execute(sa.text(
                "INSERT INTO enrolment (id, number, supplier_id, status, submitted_at, "
                "status_changed_at, legal_rep_civility, legal_rep_last_name, "
                "legal_rep_first_name, legal_rep_role, contact_last_name, contact_first_name, "
                "contact_email, contact_phone, version) VALUES (:id, :number, :id, "
                "'a_instruire', :now, :now, '', '', '', '', '', '', '', '', 1)"),
                {"id": n + 1, "number": f"ENRSAS00000{n + 1}", "now": now})
    _migrate(empty_engine, "upgrade", "0013")

    def sorted_by_name() -> tuple[list[str], list[str]]:
        with Session(empty_engine) as session:
            rows, _ = staff_list.list_requests(session, filters=RequestFilters(sort="denomination"))
            items = enrolments.list_enrolments(session, filters=EnrolmentFilters(
                status="", sort="denomination"), page=1, page_size=10).items
            return [r.company_name for r in rows], [e.company_name for e in items]

    assert sorted_by_name() == (["ALPHA", "MILIEU", "ZETA"],) * 2
    with empty_engine.begin() as conn:
        conn.execute(sa.text("UPDATE supplier SET company_name = 'AAA', search_text = 'aaa' "
                             "WHERE id = 3"))
    assert sorted_by_name() == (["AAA", "ALPHA", "ZETA"],) * 2
    _migrate(empty_engine, "downgrade", "0012")
    for table in ("funding_request", "enrolment"):
        assert "company_sort" not in {c["name"] for c in sa.inspect(empty_engine).get_columns(table)}
    with empty_engine.begin() as conn:  # no trigger left behind
        conn.execute(sa.text("UPDATE supplier SET search_text = 'bbb' WHERE id = 3"))
        conn.execute(sa.text("UPDATE funding_request SET supplier_id = 2, kind = 'solde' "
                             "WHERE id = 1"))
