"""Faster instruction: « Tout est conforme » per block, undo, email previews.

Each change here is one transaction under the dossier's optimistic lock
(``instruction.lock_dossier``), with one history event per control or piece
changed, like the one-at-a-time services of :mod:`.instruction`. A change
returns what it replaced (:class:`Previous`), which :func:`restore` puts back
— the « Annuler » of the instruction screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from segur_app.domain.funding import instruction
from segur_app.domain.funding.instruction import (
    BLOCKS,
    InstructionError,
    current_pieces,
    ensure_open,
    has_started,
    lock_dossier,
    piece_label,
    record_event,
)
from segur_app.domain.mail_templates import MailContent
from segur_app.domain.models import (
    Attachment,
    ControlStatus,
    CorrectionReason,
    FundingRequest,
    ReviewStatus,
    utcnow,
)

PIECES_BLOCK = "pieces"
BLOCK_TITLES = {**BLOCKS, PIECES_BLOCK: "Pièces justificatives"}


@dataclass(frozen=True)
class PieceDecision:
    attachment_id: int
    status: str
    reason: str = ""
    comment: str = ""


@dataclass(frozen=True)
class Previous:
    """What a change replaced: block controls (block → (status, comment)) and pieces."""

    controls: dict[str, tuple[str, str]] = field(default_factory=dict)
    pieces: tuple[PieceDecision, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.controls and not self.pieces


def _piece_decision(piece: Attachment) -> PieceDecision:
    return PieceDecision(piece.id, piece.review_status, piece.review_reason or "",
                         piece.review_comment or "")


def previous_of(session: Session, *, request_id: int, block: str = "",
                attachment_id: int | None = None) -> Previous:
    """The current value of a block control or of one piece (before changing it)."""
    request = session.get(FundingRequest, request_id)
    if request is None:
        return Previous()
    if block in BLOCKS:
        return Previous(controls={block: (getattr(request, f"{block}_control"),
                                          getattr(request, f"{block}_control_comment") or "")})
    pieces = [p for p in current_pieces(session, request_id)
              if attachment_id is None or p.id == attachment_id]
    return Previous(pieces=tuple(_piece_decision(p) for p in pieces))


def _apply(session: Session, request: FundingRequest, *, controls: dict[str, tuple[str, str]],
           pieces: dict[int, PieceDecision], staff_id: int, now: datetime,
           note: str) -> Previous:
    """Write ``controls`` and ``pieces`` on the locked ``request``; what they replaced."""
    replaced_controls: dict[str, tuple[str, str]] = {}
    for block, (status, comment) in controls.items():
        old = getattr(request, f"{block}_control")
        replaced_controls[block] = (old, getattr(request, f"{block}_control_comment") or "")
        setattr(request, f"{block}_control", ControlStatus(status).value)
        setattr(request, f"{block}_control_comment", comment or None)
        record_event(session, "funding_control", request=request, staff_id=staff_id, now=now,
                     old=old, new=status, block=BLOCKS[block], comment=note or comment)
    replaced_pieces = []
    by_id = {p.id: p for p in current_pieces(session, request.id)}
    for attachment_id, decision in pieces.items():
        piece = by_id.get(attachment_id)
        if piece is None:
            raise InstructionError(instruction.MSG_NOT_FOUND)
        replaced_pieces.append(_piece_decision(piece))
        old = piece.review_status
        piece.review_status = ReviewStatus(decision.status).value
        piece.review_reason = (CorrectionReason(decision.reason).value
                               if decision.reason else None)
        piece.review_comment = decision.comment or None
        session.add(piece)
        record_event(session, "attachment_review", request=request, staff_id=staff_id, now=now,
                     old=old, new=piece.review_status, piece=piece_label(piece.kind),
                     comment=note or decision.comment)
    request.instruction_started = has_started(session, request)
    session.add(request)
    return Previous(controls=replaced_controls, pieces=tuple(replaced_pieces))


def _run(session: Session, *, request_id: int, expected_version: int, staff_id: int,
         now: datetime | None, note: str, controls=None, pieces=None) -> tuple[int, Previous]:
    now = now or utcnow()
    request = lock_dossier(session, request_id, expected_version, now=now)
    try:
        ensure_open(request)
        previous = _apply(session, request, controls=controls or {}, pieces=pieces or {},
                          staff_id=staff_id, now=now, note=note)
    except (InstructionError, ValueError):
        session.rollback()
        raise
    session.commit()
    return request.version, previous


def all_compliant(session: Session, *, request_id: int, block: str, staff_id: int,
                  expected_version: int, now: datetime | None = None) -> tuple[int, Previous]:
    """« Tout est conforme »: the block's control OK, or every current piece « Conforme »."""
    if block in BLOCKS:
        return _run(session, request_id=request_id, expected_version=expected_version,
                    staff_id=staff_id, now=now, note="Tout est conforme",
                    controls={block: (ControlStatus.OK.value, "")})
    if block != PIECES_BLOCK:
        raise InstructionError("Bloc inconnu.")
    pieces = {p.id: PieceDecision(p.id, ReviewStatus.COMPLIANT.value)
              for p in current_pieces(session, request_id)}
    session.rollback()  # the lock below opens the transaction (SQLite)
    return _run(session, request_id=request_id, expected_version=expected_version,
                staff_id=staff_id, now=now, note="Tout est conforme", pieces=pieces)


def restore(session: Session, *, request_id: int, previous: Previous, staff_id: int,
            expected_version: int, now: datetime | None = None) -> tuple[int, Previous]:
    """Put back what a change replaced (« Annuler »)."""
    return _run(session, request_id=request_id, expected_version=expected_version,
                staff_id=staff_id, now=now, note="Annulation",
                controls=dict(previous.controls),
                pieces={p.attachment_id: p for p in previous.pieces})


# ---------------------------------------------------------------------------
# What the supplier will receive
# ---------------------------------------------------------------------------


def decision_preview(session: Session, *, request_id: int, validate: bool, reason: str = "",
                     assistance_url: str | None = None) -> MailContent | None:
    """The email « Valider » / « Rejeter » would send, rendered, nothing queued
    (``corrections.request_email_preview`` for « Demander des compléments »)."""
    request = session.get(FundingRequest, request_id)
    if request is None:
        return None
    return instruction.decision_email(request, validate=validate, reason=reason,
                                      assistance_url=assistance_url)
