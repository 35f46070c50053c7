"""The document store: the one interface, both implementations, the settings, the
download route, two machines without a shared disk, and the object store
failing during a deposit (drill 5 of issue 13).

Every S3 test talks to a real S3-compatible server on this machine
(``tests/s3_server.py``); outages are real too: the server process is stopped
(connection refused) or frozen (requests time out).
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from segur_app.api import documents as documents_api
from segur_app.core import db as core_db
from segur_app.core.config import Settings, get_settings
from segur_app.core.security import SESSION_COOKIE, hash_password
from segur_app.domain import storage, uploads
from segur_app.domain.funding import deposit as funding_deposit
from segur_app.domain.funding.deposit import DepositRefused
from segur_app.domain.models import (
    Attachment,
    AttachmentKind,
    AuditEvent,
    EmailMessage,
    FundingRequest,
    UserAccount,
)
from segur_app.domain.pdf import simple_pdf
from segur_app.domain.storage.s3 import S3Store
from segur_app.domain.accounts import sessions
from tests.conftest import S3_TEST_BUCKET, outage_store, s3_store_for
from tests.storage_helpers import (
    after_every_grace_period,
    assert_storage_matches_rows,
    final_keys,
    staged_names,
    store_env,
    sweep,
)
from tests.test_funding import DEMO_FILES, deposit, stage_all

# --------------------------------------------------------------------------
# The interface, on both stores
# --------------------------------------------------------------------------


def test_every_store_keeps_the_same_promises(store):
    assert isinstance(store, storage.Store)
    store.put_stream("ab/one", io.BytesIO(b"first"))
    store.put_stream("ab/one", io.BytesIO(b"second"))  # replaced whole
    with store.open("ab/one") as fh:
        assert fh.read() == b"second"
    assert store.exists("ab/one") and not store.exists("ab/two")
    entry = store.stat("ab/one")
    assert entry.name == "ab/one" and entry.size_bytes == 6 and entry.mtime > 0
    assert store.stat("ab/two") is None

    store.copy("ab/one", "cd/copy")
    with store.open("cd/copy") as fh:
        assert fh.read() == b"second"
    with pytest.raises(FileNotFoundError):
        store.copy("ab/missing", "cd/other")
    with pytest.raises(FileNotFoundError):
        store.open("ab/missing")

    with store.writing("staging/ef/new") as fh:
        fh.write(b"written piece by piece")
        fh.flush()
        assert os.fstat(fh.fileno()).st_size == 22  # a real file: it can be mapped
        assert not store.exists("staging/ef/new")  # only once the block ends
    assert store.exists("staging/ef/new")
    with pytest.raises(RuntimeError), store.writing("staging/ef/refused") as fh:
        fh.write(b"half")
        raise RuntimeError("checks failed")
    assert sorted(e.name for e in store.list()) == ["ab/one", "cd/copy", "staging/ef/new"]
    assert [e.name for e in store.list("staging/")] == ["staging/ef/new"]

    store.delete("ab/one")
    assert not store.exists("ab/one")
    store.delete("ab/one")  # already gone: not an error
    for hostile in ("", "/etc/passwd", "../x", "ab/../../x"):
        with pytest.raises(ValueError):
            store.exists(hostile)


def test_a_refused_upload_leaves_nothing_in_the_store_or_on_disk(store, tmp_path):
    if isinstance(store, S3Store):
        store.tmp_dir = str(tmp_path / "transient")
        os.makedirs(store.tmp_dir)
    with pytest.raises(uploads.DocumentRejected):
        uploads.stage(b"%PDF-1.4 not really", "facture.pdf",
                      policy=funding_deposit.piece_upload(AttachmentKind.FACTURE),
                      store=store)
    assert list(store.list()) == []
    if isinstance(store, S3Store):
        assert os.listdir(store.tmp_dir) == []  # the transient copy is unnamed


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


def test_the_settings_choose_the_store(monkeypatch, tmp_path):
    monkeypatch.setenv("SEGUR_STORAGE_DIR", str(tmp_path / "docs"))
    assert storage.store_from_settings(Settings()) == storage.LocalStore(tmp_path / "docs")

    monkeypatch.setenv("SEGUR_STORAGE_URL", "s3://segur-docs/prod/documents/")
    monkeypatch.setenv("SEGUR_S3_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("SEGUR_S3_REGION", "eu-west-3")
    monkeypatch.setenv("SEGUR_S3_ACCESS_KEY_ID", "key-id")
    monkeypatch.setenv("SEGUR_S3_SECRET_ACCESS_KEY", "sup3r-s3cr3t")
    settings = Settings()
    assert "sup3r-s3cr3t" not in repr(settings)
    store = storage.store_from_settings(settings)
    assert isinstance(store, S3Store) and store.location == "s3://segur-docs/prod/documents/"
    assert (store.bucket, store.prefix) == ("segur-docs", "prod/documents/")
    assert store.settings.secret_access_key == "sup3r-s3cr3t"
    assert storage.store_from_settings(settings) is store  # one client per process

    for wrong in ("https://segur-docs/x", "s3:///x", "s3://bucket/x?versionId=1", "/srv/docs"):
        monkeypatch.setenv("SEGUR_STORAGE_URL", wrong)
        with pytest.raises(ValueError, match="SEGUR_STORAGE_URL"):
            Settings()


def test_without_s3_credentials_the_standard_aws_variables_are_used(s3_server, monkeypatch):
    for name in ("SEGUR_S3_ACCESS_KEY_ID", "SEGUR_S3_SECRET_ACCESS_KEY", "SEGUR_S3_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_access_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", s3_server.region)
    monkeypatch.setenv("SEGUR_STORAGE_URL", f"s3://{S3_TEST_BUCKET}/aws-chain-{os.urandom(6).hex()}")
    monkeypatch.setenv("SEGUR_S3_ENDPOINT_URL", s3_server.url)
    store = storage.store_from_settings(Settings())
    signatures = []
    store.client.meta.events.register(
        "before-send.s3", lambda request, **_: signatures.append(request.headers["Authorization"]))
    stored = storage.store_bytes(b"%PDF-1.4 chain", store=store)
    assert storage.read_bytes(stored.key, store=store) == b"%PDF-1.4 chain"
    credential = f"Credential={s3_server.access_key_id}/"
    assert signatures and all(credential in value.decode() and f"/{s3_server.region}/s3/"
                              in value.decode() for value in signatures)


# --------------------------------------------------------------------------
# Downloads: streamed through /documents/{id}, after the access policy
# --------------------------------------------------------------------------


def point_the_app_at(store, engine, monkeypatch) -> None:
    monkeypatch.setattr(core_db, "get_engine", lambda: engine)
    for name, value in store_env(store).items():
        monkeypatch.setenv(name, value)
    if isinstance(store, S3Store):
        monkeypatch.setenv("SEGUR_S3_TIMEOUT_SECONDS", str(store.settings.timeout_seconds))
        monkeypatch.setenv("SEGUR_S3_MAX_ATTEMPTS", str(store.settings.max_attempts))
    get_settings.cache_clear()


def logged_in_supplier(db, store):
    """The demo data on ``store``; the supplier's session cookie."""
    summary = funding_supplier(db, store)
    user = db.get(UserAccount, summary.supplier_user_id)
    user.must_change_password = False  # first login finished
    user.secret_question, user.secret_answer_hash = "Q ?", hash_password("r")
    db.add(user)
    db.commit()
    token = sessions.open_session(db, user=user)
    db.commit()
    return summary, {SESSION_COOKIE: token}


@pytest.fixture
def reader(db, engine, store, monkeypatch):
    """The demo supplier, logged in, with the app pointed at ``store``."""
    point_the_app_at(store, engine, monkeypatch)
    yield logged_in_supplier(db, store)
    monkeypatch.undo()
    get_settings.cache_clear()


def funding_supplier(db, store):
    from segur_app.domain import demo

    summary = demo.load_demo_data(db, store=store, env="test")
    db.commit()
    return summary


def _get(path: str, cookies: dict[str, str]) -> httpx.Response:
    app = Starlette(routes=documents_api.http_routes)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://portail.test",
                                     cookies=cookies) as client:
            return await client.get(path)

    return asyncio.run(scenario())


def test_a_document_is_streamed_from_the_store_after_the_policy(db, store, reader):
    summary, cookies = reader
    result = deposit(db, summary, store)
    row = db.exec(select(Attachment).where(
        Attachment.funding_request_id == result.funding_request_id)).first()
    response = _get(f"/documents/{row.id}", cookies)
    assert response.status_code == 200
    assert response.content == storage.read_bytes(row.storage_key, store=store)
    assert response.headers["content-length"] == str(row.size_bytes)
    assert response.headers["cache-control"] == "private, no-store"
    assert _get(f"/documents/{row.id}", {}).status_code in (303, 401, 403, 404)

    storage.delete(row.storage_key, store=store)
    missing = _get(f"/documents/{row.id}", cookies)
    assert (missing.status_code, missing.text) == (404, "Document introuvable.")


def test_a_download_while_the_store_is_unreachable_is_a_503(db, engine, s3_server, link,
                                                             monkeypatch):
    store = outage_store(s3_server, link)
    point_the_app_at(store, engine, monkeypatch)
    summary, cookies = logged_in_supplier(db, store)
    news_pdf = db.exec(select(Attachment).where(Attachment.news_id.is_not(None))).one()
    assert _get(f"/documents/{news_pdf.id}", cookies).status_code == 200
    with link.unreachable():
        response = _get(f"/documents/{news_pdf.id}", cookies)
    assert response.status_code == 503 and response.headers["retry-after"] == "60"
    assert response.text == documents_api.MSG_UNAVAILABLE
    assert _get(f"/documents/{news_pdf.id}", cookies).status_code == 200
    get_settings.cache_clear()


# --------------------------------------------------------------------------
# Two machines behind the proxy, no shared disk
# --------------------------------------------------------------------------


def test_a_file_staged_on_one_machine_is_deposited_from_another(db, s3_server, tmp_path):
    prefix = f"two-machines-{os.urandom(6).hex()}"
    first, second = (s3_store_for(s3_server, prefix) for _ in range(2))
    first.tmp_dir, second.tmp_dir = (str(tmp_path / name) for name in ("a", "b"))
    for directory in (first.tmp_dir, second.tmp_dir):
        os.makedirs(directory)
    supplier = funding_supplier(db, first)
    documents = stage_all(first)  # the upload events ran on the first machine
    result = deposit(db, supplier, second, documents=documents)  # « Valider » on the second
    assert result.dossier_number
    assert_storage_matches_rows(db, first)
    assert staged_names(second) == set()
    assert os.listdir(first.tmp_dir) == os.listdir(second.tmp_dir) == []


# --------------------------------------------------------------------------
# The object store unreachable (drill 5)
# --------------------------------------------------------------------------


def test_the_store_unreachable_during_a_deposit_refuses_it_cleanly_and_a_retry_succeeds(
    db, s3_server, link, caplog
):
    store = outage_store(s3_server, link)
    supplier = funding_supplier(db, store)
    documents = stage_all(store)
    real_publish = storage.publish_staged
    published = []

    def publish_then_the_store_is_cut_off(key, **kwargs):
        published.append(real_publish(key, **kwargs))
        link.cut()  # the first piece is published, the second will not be
        return published[-1]

    storage.publish_staged = publish_then_the_store_is_cut_off
    try:
        with caplog.at_level(logging.WARNING, logger="segur_app.domain.file_commit"):
            with pytest.raises(DepositRefused) as refused:
                deposit(db, supplier, store, documents=documents)
    finally:
        storage.publish_staged = real_publish
        link.restore()
    assert refused.value.message == storage.MSG_UNAVAILABLE
    assert "momentanément indisponible" in refused.value.message
    # Nothing half-saved: no dossier, no row, no history, no email.
    assert db.exec(select(FundingRequest)).all() == []
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "funding_deposited")).all() == []
    assert db.exec(select(EmailMessage).where(EmailMessage.funding_request_id.is_not(None))
                   ).all() == []
    assert len(db.exec(select(Attachment)).all()) == DEMO_FILES
    # The one published file could not be removed at once: the sweep will.
    assert "left to the sweep" in caplog.text
    assert final_keys(store) >= set(published)
    assert len(sweep(db, store, now=after_every_grace_period()).removed) == 3 + 1
    assert_storage_matches_rows(db, store)

    # The store is back: the supplier tries again, files chosen anew.
    result = deposit(db, supplier, store)
    assert result.dossier_number
    assert_storage_matches_rows(db, store)
    assert staged_names(store) == set()


def test_the_store_unreachable_when_a_file_is_chosen_gives_a_clear_message(
    s3_server, link, tmp_path
):
    store = outage_store(s3_server, link)
    store.tmp_dir = str(tmp_path)
    with link.unreachable(), pytest.raises(uploads.DocumentRejected) as rejected:
        uploads.stage(simple_pdf(["Facture"]), "facture.pdf",
                      policy=funding_deposit.piece_upload(AttachmentKind.FACTURE),
                      store=store)
    assert rejected.value.reason == "storage_unavailable"
    assert rejected.value.message == (
        "Copie de la facture émise au client final : le fichier n'a pas pu être "
        "enregistré, le service de conservation des documents est momentanément "
        "indisponible. Veuillez le joindre à nouveau dans quelques minutes.")
    assert os.listdir(tmp_path) == [] and list(store.list()) == []


def test_a_frozen_store_times_out_and_comes_back_with_its_objects(s3_server, tmp_path):
    store = s3_store_for(s3_server, f"frozen-{os.urandom(6).hex()}", timeout_seconds=1.0,
                         max_attempts=1)
    stored = storage.store_bytes(b"%PDF-1.4 kept", store=store)
    s3_server.pause()
    try:
        with pytest.raises(storage.StorageUnavailable):
            storage.read_bytes(stored.key, store=store)
    finally:
        s3_server.resume()
    assert storage.read_bytes(stored.key, store=store) == b"%PDF-1.4 kept"


def test_only_the_store_reads_the_storage_directory_setting():
    """Every caller goes through ``storage.store_from_settings()``: a service handed
    ``settings.storage_dir`` would keep documents on local disk under SEGUR_STORAGE_URL."""
    from segur_app.core.config import PROJECT_ROOT

    allowed = {Path("segur_app/core/config.py"), Path("segur_app/domain/storage/__init__.py")}
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for path in sorted((PROJECT_ROOT / "segur_app").rglob("*.py"))
        if path.relative_to(PROJECT_ROOT) not in allowed
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"settings(\(\))?\.storage_dir\b", line)
    ]
    assert offenders == [], "use storage.store_from_settings(): " + ", ".join(offenders)
