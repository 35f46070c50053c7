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
def storage_dir(store):
    return store


@pytest.fixture
def supplier(db, storage_dir):
    summary = demo.load_demo_data(db, storage_dir=storage_dir, env="test")
    db.commit()
    return summary


def test_the_row_points_to_a_new_key_and_the_staged_copy_goes_after_the_commit(
    db, supplier, storage_dir
):
    documents = stage_all(storage_dir)
    deposit(db, supplier, storage_dir, documents=documents)
    keys = set(db.exec(select(Attachment.storage_key)
                       .where(Attachment.funding_request_id.is_not(None))).all())
    assert len(keys) == 3 and not keys & {d.key for d in documents.values()}
    assert staged_names(storage_dir) == set()
    assert_storage_matches_rows(db, storage_dir)


@pytest.mark.parametrize("store", ["local"], indirect=True)  # hard links: a directory's
def test_a_copy_is_made_where_hard_links_are_not_supported(db, supplier, storage_dir, monkeypatch):
    def no_links(*_args, **_kwargs):
        raise OSError(errno.EXDEV, "cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    deposit(db, supplier, storage_dir)
    assert_storage_matches_rows(db, storage_dir)
    assert len(final_keys(storage_dir)) == FILES_PER_DEPOSIT + DEMO_FILES


def test_a_rollback_before_the_commit_removes_what_was_published(db, supplier, storage_dir):
    documents = stage_all(storage_dir)

    def refuse(*_args):
        raise RuntimeError("the database said no")

    event.listen(db, "before_commit", refuse)
    try:
        with pytest.raises(RuntimeError):
            deposit(db, supplier, storage_dir, documents=documents)
    finally:
        event.remove(db, "before_commit", refuse)
    assert db.exec(select(FundingRequest)).all() == []
    assert len(final_keys(storage_dir)) == DEMO_FILES
    assert staged_names(storage_dir) == {d.key for d in documents.values()}  # for a retry


def test_when_the_commit_itself_fails_the_files_are_left_to_the_sweep(
    db, supplier, storage_dir
):
    """The server may have committed before the connection broke: never delete then."""
    documents = stage_all(storage_dir)
    connection_engine = db.get_bind()

    def connection_lost(_conn):
        raise ConnectionError("server closed the connection unexpectedly")

    event.listen(connection_engine, "commit", connection_lost)
    try:
        with pytest.raises(ConnectionError):
            deposit(db, supplier, storage_dir, documents=documents)
    finally:
        event.remove(connection_engine, "commit", connection_lost)
    assert db.exec(select(FundingRequest)).all() == []  # it did not, this time
    assert len(final_keys(storage_dir)) == FILES_PER_DEPOSIT + DEMO_FILES
    assert len(staged_names(storage_dir)) == 3
    assert sweep(db, storage_dir).removed == []  # within the grace period
    # 3 published pieces, the receipt and 3 staged copies
    assert len(sweep(db, storage_dir, now=after_every_grace_period()).removed) == 7
    assert_storage_matches_rows(db, storage_dir)


def test_a_clean_up_failure_after_the_commit_does_not_undo_the_deposit(
    db, supplier, storage_dir, monkeypatch, caplog
):
    def disk_error(*_args, **_kwargs):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(storage, "discard_staged", disk_error)
    with caplog.at_level(logging.WARNING, logger="segur_app.domain.file_commit"):
        assert deposit(db, supplier, storage_dir).dossier_number
    assert len(caplog.records) == 3 and "left to the sweep" in caplog.records[0].getMessage()
    assert_storage_matches_rows(db, storage_dir)
    assert len(staged_names(storage_dir)) == 3
    monkeypatch.undo()
    assert len(sweep(db, storage_dir, now=after_every_grace_period()).removed) == 3


def test_publishing_verifies_the_content(storage_dir):
    staged = uploads.stage(simple_pdf(["Facture"]), "facture.pdf",
                           policy=funding_deposit.piece_upload(AttachmentKind.FACTURE),
                           storage_dir=storage_dir)
    with pytest.raises(storage.StorageMismatch):
        storage.publish_staged(staged.key, sha256="0" * 64, storage_dir=storage_dir)
    assert final_keys(storage_dir) == set()
    assert storage.publish_staged(staged.key, sha256=staged.sha256, storage_dir=storage_dir)
