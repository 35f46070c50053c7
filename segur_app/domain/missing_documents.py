"""The PDFs a dossier should have and does not: issued afterwards.

Since migration ``0012`` every deposit issues its « Accusé de dépôt » (an
enrolment in its transaction, a funding request just after its commit) and
every funding decision its « Courrier de décision » in its transaction
(:mod:`receipts`, :mod:`letters`). The dossiers deposited or decided before
(a funding request whose receipt was not issued after its commit — a crash,
a failure —, a dossier whose document was lost to a bug) have none: :func:`issue_missing`
finds them and issues what is missing, at most ``limit`` documents a call,
oldest dossiers first.

The documents say what they said at the time: the receipt lists the pieces
deposited with the dossier (not the later replacements of a « Demande de
compléments »: ``receipts.funding_receipt``), the letter the decision and its
date as recorded; only their « généré le » date is the day they were issued.

Several workers may run it at once (the hourly housekeeping): each document is
issued in a savepoint and the unique constraint of ``generated_document``
(one document of each kind per dossier) turns the second copy into a skipped
one; its file, never referenced, is removed by the storage sweep.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain import letters, receipts, storage
from segur_app.domain.models import (
    Enrolment,
    FundingRequest,
    FundingStatus,
    GeneratedDocument,
    GeneratedDocumentKind,
)

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 200
DECIDED = (FundingStatus.VALIDATED.value, FundingStatus.REJECTED.value)


@dataclass(frozen=True)
class Issued:
    """What one call issued."""

    funding_receipts: int = 0
    enrolment_receipts: int = 0
    decision_letters: int = 0
    skipped: int = 0  # issued meanwhile by another worker

    @property
    def total(self) -> int:
        return self.funding_receipts + self.enrolment_receipts + self.decision_letters


def missing_counts(session: Session) -> dict[str, int]:
    """How many dossiers lack each document (the CLI's report)."""
    return {
        "funding_receipts": _count(session, FundingRequest, "funding_request_id",
                                   GeneratedDocumentKind.DEPOSIT_RECEIPT),
        "enrolment_receipts": _count(session, Enrolment, "enrolment_id",
                                     GeneratedDocumentKind.DEPOSIT_RECEIPT),
        "decision_letters": _count(session, FundingRequest, "funding_request_id",
                                   GeneratedDocumentKind.DECISION_LETTER,
                                   FundingRequest.status.in_(DECIDED)),
    }


def _lacking(model, owner: str, kind: GeneratedDocumentKind, *conditions):
    """The rows of ``model`` without a generated document of ``kind``."""
    has_one = sa.exists().where(
        GeneratedDocument.kind == kind.value,
        getattr(GeneratedDocument, owner) == model.id,
    )
    return select(model).where(~has_one, *conditions).order_by(model.id)


def _count(session: Session, model, owner: str, kind: GeneratedDocumentKind, *conditions) -> int:
    query = _lacking(model, owner, kind, *conditions).order_by(None).subquery()
    return session.exec(select(sa.func.count()).select_from(query)).one()


def _issue(session: Session, issue) -> bool:
    """Run ``issue()`` in a savepoint; False when another worker issued it first."""
    try:
        with session.begin_nested():
            issue()
    except sa.exc.IntegrityError:
        return False
    return True


def issue_missing(
    session: Session, *, store: storage.Storage, now: datetime, limit: int = DEFAULT_LIMIT,
) -> Issued:
    """Issue the missing receipts and decision letters (caller commits)."""
    counts = {"funding_receipts": 0, "enrolment_receipts": 0, "decision_letters": 0, "skipped": 0}
    budget = limit
    plan = (
        ("funding_receipts", _lacking(FundingRequest, "funding_request_id",
                                      GeneratedDocumentKind.DEPOSIT_RECEIPT),
         lambda row: receipts.issue_funding_receipt(
             session, request=row, store=store, now=now)),
        ("enrolment_receipts", _lacking(Enrolment, "enrolment_id",
                                        GeneratedDocumentKind.DEPOSIT_RECEIPT),
         lambda row: receipts.issue_enrolment_receipt(
             session, enrolment=row, store=store, now=now)),
        ("decision_letters", _lacking(FundingRequest, "funding_request_id",
                                      GeneratedDocumentKind.DECISION_LETTER,
                                      FundingRequest.status.in_(DECIDED)),
         lambda row: letters.issue_decision_letter(
             session, request=row, store=store, now=now)),
    )
    for name, query, issue in plan:
        if budget <= 0:
            break
        for row in session.exec(query.limit(budget)).all():
            done = _issue(session, lambda row=row, issue=issue: issue(row))
            counts[name if done else "skipped"] += 1
            budget -= 1
    issued = Issued(**counts)
    if issued.total:
        log.info("missing documents issued: %d receipts of funding requests, %d of enrolments, "
                 "%d decision letters", issued.funding_receipts, issued.enrolment_receipts,
                 issued.decision_letters)
    return issued
