"""file_commit: what happens to published and staged files on commit, rollback, failure."""

from __future__ import annotations

import errno
import logging
import os

import pytest
from sqlalchemy import event
from sqlmodel import select

from segur_app.domain import demo, storage, uploads
from segur_app.domain.funding import deposit as funding_deposit
from segur_app.domain.models import Attachment, AttachmentKind, FundingRequest
from segur_app.domain.pdf import simple_pdf
from tests.storage_helpers import (
    after_every_grace_period,
    assert_storage_matches_rows,
    final_keys,
    staged_names,
    sweep,
)
from tests.test_funding import DEMO_FILES, FILES_PER_DEPOSIT, deposit, stage_all


@pytest.fixture
def supplier(db, store):
    summary = demo.load_demo_data(db, store=store, env="test")
    db.commit()
    return summary


def test_the_row_points_to_a_new_key_and_the_staged_copy_goes_after_the_commit(
    db, supplier, store
):
    documents = stage_all(store)
    deposit(db, supplier, store, documents=documents)
    keys = set(db.exec(select(Attachment.storage_key)
                       .where(Attachment.funding_request_id.is_not(None))).all())
    assert len(keys) == 3 and not keys & {d.key for d in documents.values()}
    assert staged_names(store) == set()
    assert_storage_matches_rows(db, store)


@pytest.mark.parametrize("store", ["local"], indirect=True)  # hard links: a directory's
def test_a_copy_is_made_where_hard_links_are_not_supported(db, supplier, store, monkeypatch):
    def no_links(*_args, **_kwargs):
        raise OSError(errno.EXDEV, "cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    deposit(db, supplier, store)
    assert_storage_matches_rows(db, store)
    assert len(final_keys(store)) == FILES_PER_DEPOSIT + DEMO_FILES


def test_a_rollback_before_the_commit_removes_what_was_published(db, supplier, store):
    documents = stage_all(store)

    def refuse(*_args):
        raise RuntimeError("the database said no")

    event.listen(db, "before_commit", refuse)
    try:
        with pytest.raises(RuntimeError):
            deposit(db, supplier, store, documents=documents)
    finally:
        event.remove(db, "before_commit", refuse)
    assert db.exec(select(FundingRequest)).all() == []
    assert len(final_keys(store)) == DEMO_FILES
    assert staged_names(store) == {d.key for d in documents.values()}  # for a retry


def test_when_the_commit_itself_fails_the_files_are_left_to_the_sweep(
    db, supplier, store
):
    """The server may have committed before the connection broke: never delete then."""
    documents = stage_all(store)
    connection_engine = db.get_bind()

    def connection_lost(_conn):
        raise ConnectionError("server closed the connection unexpectedly")

    event.listen(connection_engine, "commit", connection_lost)
    try:
        with pytest.raises(ConnectionError):
            deposit(db, supplier, store, documents=documents)
    finally:
        event.remove(connection_engine, "commit", connection_lost)
    assert db.exec(select(FundingRequest)).all() == []  # it did not, this time
    # The 3 published pieces (the receipt is issued only once the commit succeeded).
    assert len(final_keys(store)) == FILES_PER_DEPOSIT - 1 + DEMO_FILES
    assert len(staged_names(store)) == 3
    assert sweep(db, store).removed == []  # within the grace period
    # 3 published pieces and 3 staged copies
    assert len(sweep(db, store, now=after_every_grace_period()).removed) == 6
    assert_storage_matches_rows(db, store)


def test_a_clean_up_failure_after_the_commit_does_not_undo_the_deposit(
    db, supplier, store, monkeypatch, caplog
):
    def disk_error(*_args, **_kwargs):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(storage, "discard_staged", disk_error)
    with caplog.at_level(logging.WARNING, logger="segur_app.domain.file_commit"):
        assert deposit(db, supplier, store).dossier_number
    assert len(caplog.records) == 3 and "left to the sweep" in caplog.records[0].getMessage()
    assert_storage_matches_rows(db, store)
    assert len(staged_names(store)) == 3
    monkeypatch.undo()
    assert len(sweep(db, store, now=after_every_grace_period()).removed) == 3


def test_publishing_verifies_the_content(store):
    staged = uploads.stage(simple_pdf(["Facture"]), "facture.pdf",
                           policy=funding_deposit.piece_upload(AttachmentKind.FACTURE),
                           store=store)
    with pytest.raises(storage.StorageMismatch):
        storage.publish_staged(staged.key, sha256="0" * 64, store=store)
    assert final_keys(store) == set()
    assert storage.publish_staged(staged.key, sha256=staged.sha256, store=store)
