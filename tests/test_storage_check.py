"""``storage-check [--repair]`` and the periodic sweep: what they list, remove, report.

SQLite and PostgreSQL (the ``db`` fixture), a local directory and an
S3-compatible store (the ``store`` fixture); the command runs in-process for
the details and once as a real ``python -m segur_app.cli`` subprocess per
backend.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import time

import pytest
from sqlmodel import Session, select

from segur_app import cli, tasks
from segur_app.core import db as core_db
from segur_app.core.config import PROJECT_ROOT, Settings, get_settings
from segur_app.domain import demo, storage, storage_check
from segur_app.domain.models import Attachment
from tests.conftest import s3_store_for
from tests.storage_helpers import (
    GRACE,
    STAGING_AGE,
    after_every_grace_period,
    assert_storage_matches_rows,
    final_keys,
    make_old,
    staged_names,
    store_env,
    sweep,
)
from tests.test_funding import deposit, stage_all

S3_GRACE = 3.0  # an object's date cannot be set back: the S3 variants wait this long


@pytest.fixture
def grace(store):
    """The grace period and staging lifetime of the command-line runs."""
    return GRACE if isinstance(store, storage.LocalStore) else S3_GRACE


@pytest.fixture
def demo_rows(db, store):
    summary = demo.load_demo_data(db, store=store, env="test")
    db.commit()
    return summary


def orphan(store) -> str:
    return storage.object_name(storage.store_bytes(b"%PDF-1.4 orphan",
                                                   store=store).key)


def abandoned(store) -> str:
    return storage.staging_name(storage.stage_bytes(b"%PDF-1.4 staged",
                                                    store=store).key)


def overwrite(store, name: str, data: bytes) -> None:
    store.put_stream(name, io.BytesIO(data))


@pytest.fixture
def run(db, store, grace, monkeypatch, capsys):
    """``python -m segur_app.cli storage-check …`` in-process, on the test database."""
    monkeypatch.setenv("REFLEX_DB_URL", db.get_bind().url.render_as_string(hide_password=False))
    for name, value in store_env(store).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SEGUR_STORAGE_GRACE_SECONDS", str(grace))
    monkeypatch.setenv("SEGUR_STAGING_MAX_AGE_SECONDS",
                       str(STAGING_AGE if grace == GRACE else grace))
    for cached in (get_settings, core_db.get_engine):
        cached.cache_clear()

    def invoke(*args):
        db.commit()
        code = cli.main(["storage-check", *args])
        return code, capsys.readouterr().out

    yield invoke
    core_db.get_engine().dispose()
    monkeypatch.undo()
    for cached in (get_settings, core_db.get_engine):
        cached.cache_clear()


def test_a_clean_storage_exits_0(db, demo_rows, run):
    code, out = run()
    assert code == 0
    assert "2 pièce(s) jointe(s) en base" in out
    assert "0 fichier(s) non référencé(s)" in out and "--repair" not in out


def test_stale_files_are_listed_then_removed_with_repair_and_fresh_ones_kept(
    db, demo_rows, store, grace, run
):
    stale, stale_staged = orphan(store), abandoned(store)
    part = stale.split("/")[0] + "/0123456789abcdef0123456789abcdef.part"  # a torn write
    overwrite(store, part, b"half")
    make_old(store, [stale, stale_staged, part], older_than=grace)
    fresh, fresh_staged = orphan(store), abandoned(store)

    code, out = run()
    assert code == 1
    assert f"Fichier non référencé : {stale} (15 octets" in out
    assert part in out
    assert f"Fichier en préparation abandonné : {stale_staged} (" in out
    assert fresh not in out and fresh_staged not in out
    assert "à supprimer (--repair)" in out and "Relancez avec --repair" in out
    assert all(store.exists(n) for n in (stale, part, stale_staged))  # never without --repair

    code, out = run("--repair")
    assert code == 0
    assert out.count("— supprimé") == 3 and "3 supprimé(s)" in out
    assert not any(store.exists(n) for n in (stale, part, stale_staged))
    assert store.exists(fresh) and store.exists(fresh_staged)


def test_missing_and_altered_files_are_reported_never_repaired(
    db, demo_rows, store, grace, run
):
    rows = db.exec(select(Attachment).order_by(Attachment.id)).all()
    missing, altered = rows
    storage.delete(missing.storage_key, store=store)
    name = storage.object_name(altered.storage_key)
    overwrite(store, name, storage.read_bytes(altered.storage_key, store=store)
              + b"tampered")
    stale = orphan(store)
    make_old(store, [stale], older_than=grace)

    for args in ((), ("--repair",)):
        code, out = run(*args)
        assert code == 3
        assert (f"Fichier manquant : pièce jointe n° {missing.id} ({missing.kind}, "
                f"clé {missing.storage_key})") in out
        assert (f"Fichier altéré (empreinte SHA-256 différente) : pièce jointe n° {altered.id}"
                in out)
        assert "jamais corrigés automatiquement" in out
        assert store.exists(name)  # an altered document is evidence: kept
    assert "1 supprimé(s)" in out  # the unreferenced file, with --repair
    assert db.exec(select(Attachment)).all() == rows  # no row touched


def test_the_command_line_entry_point(db, demo_rows, store):
    stale = orphan(store)
    make_old(store, [stale], older_than=1.0)
    db.commit()
    env = {**os.environ, "REFLEX_DB_URL": db.get_bind().url.render_as_string(hide_password=False),
           **store_env(store), "SEGUR_STORAGE_GRACE_SECONDS": "1"}
    done = subprocess.run([sys.executable, "-m", "segur_app.cli", "storage-check"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "délai de grâce 1 s" in done.stdout and stale in done.stdout
    assert f"Stockage {store.location} :" in done.stdout


# --------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------


def test_a_file_published_from_an_old_staged_copy_survives_a_concurrent_sweep(
    engine, db, demo_rows, store, monkeypatch
):
    documents = stage_all(store)
    if isinstance(store, storage.LocalStore):  # an object's date cannot be set back
        staged_long_ago = time.time() - 2 * GRACE  # still within the staging lifetime
        for document in documents.values():
            os.utime(storage.staging_path(document.key, store=store),
                     (staged_long_ago, staged_long_ago))
    real_publish = storage.publish_staged

    def publish_then_another_worker_sweeps(key, **kwargs):
        published = real_publish(key, **kwargs)
        with Session(engine) as other_worker:
            sweep(other_worker, store)  # before the deposit commits
        return published

    monkeypatch.setattr(storage, "publish_staged", publish_then_another_worker_sweeps)
    deposit(db, demo_rows, store, documents=documents)
    assert_storage_matches_rows(db, store)


def test_sweeps_of_several_workers_at_once_tolerate_each_other(
    engine, db, demo_rows, store, monkeypatch
):
    stale = [orphan(store) for _ in range(3)] + [abandoned(store)]
    real_scan = storage_check.scan

    def scan_then_another_worker_removes_everything(directory):
        entries = real_scan(directory)
        monkeypatch.setattr(storage_check, "scan", real_scan)
        with Session(engine) as other_worker:
            assert len(sweep(other_worker, store, now=after_every_grace_period())
                       .removed) == 4
        return entries

    monkeypatch.setattr(storage_check, "scan", scan_then_another_worker_removes_everything)
    report = sweep(db, store, now=after_every_grace_period())
    assert len(report.unreferenced) == 3 and report.removed == [] and report.intact
    assert not any(store.exists(name) for name in stale)
    assert_storage_matches_rows(db, store)


def test_a_row_deleted_during_the_sweep_is_not_reported_missing(
    engine, db, demo_rows, store, monkeypatch
):
    real_rows = storage_check._rows
    calls = []

    def rows_then_the_news_attachment_is_replaced(session, ids=None):
        rows = real_rows(session, ids)
        if not calls:
            with Session(engine) as other:
                row = other.exec(select(Attachment).where(Attachment.news_id.is_not(None))).one()
                other.delete(row)
                other.commit()
                storage.delete(row.storage_key, store=store)
        calls.append(ids)
        return rows

    monkeypatch.setattr(storage_check, "_rows", rows_then_the_news_attachment_is_replaced)
    report = sweep(db, store)
    assert report.intact and report.missing == []
    # A directory's sweep hashes each file: the missing one is looked at again
    # (its row is gone); an object store's compares the sizes it listed first.
    assert len(calls) == (2 if isinstance(store, storage.LocalStore) else 1)


def test_the_sweep_refuses_to_empty_a_storage_the_database_does_not_know(
    db, store, grace, caplog, run
):
    stale = [orphan(store) for _ in range(storage_check.MASS_REMOVAL_FLOOR + 1)]
    with caplog.at_level(logging.ERROR, logger="segur_app.domain.storage_check"):
        report = sweep(db, store, now=after_every_grace_period())
    assert report.removal_refused and report.removed == []
    assert all(store.exists(name) for name in stale)
    [record] = caplog.records
    assert "removal refused" in record.getMessage()
    make_old(store, stale, older_than=grace)
    code, out = run("--repair")  # the explicit way
    assert code == 0 and f"{len(stale)} supprimé(s)" in out
    assert not any(store.exists(name) for name in stale)


def test_the_background_sweep_logs_one_line_for_missing_and_altered_files(
    engine, db, demo_rows, store, caplog
):
    missing, altered = db.exec(select(Attachment).order_by(Attachment.id)).all()
    storage.delete(missing.storage_key, store=store)
    overwrite(store, storage.object_name(altered.storage_key), b"other")
    stale = orphan(store)
    make_old(store, [stale], older_than=S3_GRACE)
    db.commit()
    grace = GRACE if isinstance(store, storage.LocalStore) else S3_GRACE
    env = store_env(store)
    settings = Settings(storage_dir=env.get("SEGUR_STORAGE_DIR", "unused"),
                        storage_url=env.get("SEGUR_STORAGE_URL") or None,
                        s3_endpoint_url=env.get("SEGUR_S3_ENDPOINT_URL"),
                        s3_region=env.get("SEGUR_S3_REGION"),
                        s3_access_key_id=env.get("SEGUR_S3_ACCESS_KEY_ID"),
                        s3_secret_access_key=env.get("SEGUR_S3_SECRET_ACCESS_KEY"),
                        storage_grace_seconds=grace, staging_max_age_seconds=STAGING_AGE)
    with caplog.at_level(logging.INFO):
        report = tasks.sweep_storage(settings=settings, engine=engine)
    [record] = [r for r in caplog.records if r.name == "segur_app.domain.storage_check"]
    assert record.levelno == logging.ERROR and "\n" not in record.getMessage()
    assert (f"1 removed, 1 missing, 1 altered (missing: attachment {missing.id}) "
            f"(altered: attachment {altered.id})") in record.getMessage()
    assert [e.name for e in report.removed] == [stale]
    assert final_keys(store) == {altered.storage_key} and staged_names(store) == set()


def test_grace_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("SEGUR_STORAGE_GRACE_SECONDS", "120")
    monkeypatch.setenv("SEGUR_STAGING_MAX_AGE_SECONDS", "7200")
    settings = Settings()
    assert (settings.storage_grace_seconds, settings.staging_max_age_seconds) == (120, 7200)
    monkeypatch.setenv("SEGUR_STORAGE_GRACE_SECONDS", "-1")
    with pytest.raises(ValueError):
        Settings()
    assert Settings.model_fields["storage_grace_seconds"].default == 3600


def test_the_hourly_sweep_of_an_object_store_compares_sizes_storage_check_hashes(
    db, s3_server, run, monkeypatch
):
    store = s3_store_for(s3_server, f"sizes-{os.urandom(6).hex()}")
    for name, value in store_env(store).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    demo.load_demo_data(db, store=store, env="test")
    db.commit()
    news, rib = db.exec(select(Attachment).order_by(Attachment.id)).all()
    data = storage.read_bytes(news.storage_key, store=store)
    overwrite(store, storage.object_name(news.storage_key), bytes(reversed(data)))  # same size
    overwrite(store, storage.object_name(rib.storage_key), b"shorter")
    downloads = []
    real_open = store.open
    monkeypatch.setattr(store, "open", lambda name: downloads.append(name) or real_open(name))

    report = sweep(db, store)
    assert [p.attachment_id for p in report.altered] == [rib.id] and downloads == []

    code, out = run()  # the explicit check reads and hashes every document
    assert code == 3
    assert f"pièce jointe n° {news.id}" in out and f"pièce jointe n° {rib.id}" in out
