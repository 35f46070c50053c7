"""The emails of a « Demande de compléments »: their texts (same layout as
mail_templates.py), the staff's preview and the reminders.

* to the supplier: the request (each piece and why, see
  :func:`corrections.request_corrections`), the reminder 7 days before the
  deadline (:func:`send_due_reminders`, hourly);
* to the agent who asked: the supplier sent the pieces (demarches-simplifiees.fr
  likewise notifies the instructeurs following a dossier);
* to the supplier who sent them: they were received, the dossier is back in
  instruction (:func:`corrections_acknowledgement`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.domain import mail
from segur_app.domain.dates import as_utc, fr_date
from segur_app.domain.funding.instruction import current_pieces, piece_label, record_event
from segur_app.domain.mail_templates import (
    PROGRAMME,
    MailContent,
    TemplateName,
    assistance_paragraph,
    render,
)
from segur_app.domain.models import (
    CORRECTION_OPEN,
    Attachment,
    CorrectionReason,
    CorrectionRequest,
    FundingRequest,
    ReviewStatus,
    UserAccount,
    utcnow,
)
from segur_app.links import absolute_url

REMINDER_DAYS_BEFORE = 7
MAX_MESSAGE_LENGTH = 2000


@dataclass(frozen=True)
class AskedPieceText:
    """One piece to replace, as the email lists it."""

    label: str
    reason: str
    comment: str = ""

    def line(self) -> str:
        text = f"- {self.label} : {self.reason}"
        return f"{text} ({self.comment})" if self.comment else text


def _pieces(pieces: Sequence[AskedPieceText]) -> str:
    return "\n".join(piece.line() for piece in pieces)


def _labels(piece_labels: Sequence[str]) -> str:
    return "\n".join(f"- {label}" for label in piece_labels)


def _tracking_screen(action: str, url: str) -> str:
    """« <action> depuis l'écran « Suivi de ma demande de financement » … : <url> »."""
    return (f"{action} depuis l'écran « Suivi de ma demande de financement » du portail "
            f"Ségur Numérique : {url}")


def _to_supplier(subject: str, body: list[str], url: str,
                 assistance_url: str | None) -> MailContent:
    """A supplier's email: ``body``, the assistance paragraph, both links."""
    return render(subject, [*body, assistance_paragraph(assistance_url)],
                  links=[url, assistance_url or absolute_url(routes.ASSISTANCE)])


def correction_request(
    dossier_number: str,
    pieces: Sequence[AskedPieceText],
    due_on: str,
    message: str = "",
    *,
    tracking_url: str | None = None,
    assistance_url: str | None = None,
) -> MailContent:
    """Staff ask for pieces to be replaced before ``due_on`` (« 23/06/2023 »)."""
    url = tracking_url or absolute_url(routes.FUNDING_TRACKING)
    body = [
        f"L'instruction de votre demande de financement {dossier_number} dans le cadre du "
        f"financement de la {PROGRAMME} nécessite des compléments. Les pièces suivantes "
        "ne sont pas conformes :",
        _pieces(pieces),
    ]
    if message.strip():
        body.append(f"Message de l'instructeur : {message.strip()}")
    body += [
        _tracking_screen(f"Merci de déposer les pièces demandées avant le {due_on}", url),
        "Sans réponse dans ce délai, votre demande pourra être rejetée.",
    ]
    return _to_supplier(
        f"Demande de compléments pour votre demande de financement {dossier_number}",
        body, url, assistance_url)


def correction_reminder(
    dossier_number: str,
    pieces: Sequence[AskedPieceText],
    due_on: str,
    *,
    tracking_url: str | None = None,
    assistance_url: str | None = None,
) -> MailContent:
    """Sent once, 7 days before the deadline, while the pieces are still awaited."""
    url = tracking_url or absolute_url(routes.FUNDING_TRACKING)
    body = [
        f"Nous vous rappelons que des compléments sont attendus pour votre demande de "
        f"financement {dossier_number} avant le {due_on} :",
        _pieces(pieces),
        _tracking_screen("Vous pouvez déposer les pièces demandées", url),
        "Sans réponse dans ce délai, votre demande pourra être rejetée.",
    ]
    return _to_supplier(
        f"Rappel : compléments attendus pour votre demande de financement {dossier_number}",
        body, url, assistance_url)


def corrections_acknowledgement(
    dossier_number: str,
    piece_labels: Sequence[str],
    sent_at: str,
    *,
    tracking_url: str | None = None,
    assistance_url: str | None = None,
) -> MailContent:
    """To the supplier who sent the pieces asked for: received on ``sent_at``
    (« 05/12/2026 à 10:12 »), the dossier is being instructed again."""
    url = tracking_url or absolute_url(routes.FUNDING_TRACKING)
    body = [
        f"Les compléments de votre demande de financement {dossier_number} dans le cadre du "
        f"financement de la {PROGRAMME} ont bien été reçus par l'Agence le {sent_at} :",
        _labels(piece_labels),
        "Votre demande est de nouveau en cours d'instruction. Vous recevrez un autre "
        "courriel pour vous informer du résultat de l'instruction.",
        _tracking_screen("Vous pouvez suivre votre demande et consulter les pièces déposées",
                         url),
    ]
    return _to_supplier(
        f"Compléments reçus pour votre demande de financement {dossier_number}",
        body, url, assistance_url)


def corrections_received(
    dossier_number: str,
    company_name: str,
    piece_labels: Sequence[str],
    comment: str = "",
    *,
    dossier_url: str | None = None,
) -> MailContent:
    """To the agent who asked: the supplier sent the pieces, the dossier is back « En cours »."""
    url = dossier_url or absolute_url(routes.STAFF_FUNDING_REQUEST,
                                      **{routes.PARAM_NUMBER: dossier_number})
    body = [
        f"Le fournisseur {company_name} a envoyé les compléments demandés pour le dossier "
        f"{dossier_number} :",
        _labels(piece_labels),
    ]
    if comment.strip():
        body.append(f"Commentaire du fournisseur : {comment.strip()}")
    body.append(f"Le dossier est de nouveau « En cours » d'instruction : {url}")
    return render(f"Compléments reçus pour le dossier {dossier_number}", body, links=[url])


# ---------------------------------------------------------------------------
# What a request asks for
# ---------------------------------------------------------------------------


def reason_label(piece: Attachment) -> str:
    """Why a piece was found « Non conforme », as the supplier reads it."""
    reason = CorrectionReason(piece.review_reason or CorrectionReason.OTHER.value)
    return "Autre" if reason is CorrectionReason.OTHER else reason.label


def asked_texts(pieces: list[Attachment]) -> list[AskedPieceText]:
    return [AskedPieceText(piece_label(p.kind), reason_label(p), p.review_comment or "")
            for p in pieces]


def non_compliant_pieces(session: Session, request_id: int) -> list[Attachment]:
    """The current pieces marked « Non conforme »: what a request asks to replace."""
    return [p for p in current_pieces(session, request_id)
            if p.review_status == ReviewStatus.NON_COMPLIANT.value]


def due_date(now: datetime) -> datetime:
    """The deadline of a request made at ``now`` (``SEGUR_CORRECTION_DELAY_DAYS``)."""
    return now + timedelta(days=get_settings().correction_delay_days)


def request_email_preview(session: Session, *, request_id: int, message: str = "",
                          tracking_url: str | None = None, assistance_url: str | None = None,
                          now: datetime | None = None) -> MailContent | None:
    """The email :func:`request_corrections` would send now, rendered, nothing queued."""
    request = session.get(FundingRequest, request_id)
    if request is None:
        return None
    pieces = non_compliant_pieces(session, request.id)
    return correction_request(
        request.dossier_number, asked_texts(pieces), fr_date(due_date(now or utcnow())),
        message.strip()[:MAX_MESSAGE_LENGTH],
        tracking_url=tracking_url, assistance_url=assistance_url)


# ---------------------------------------------------------------------------
# Reminders
# ---------------------------------------------------------------------------


def send_due_reminders(session: Session, *, now: datetime | None = None,
                       tracking_url: str | None = None,
                       assistance_url: str | None = None) -> int:
    """Email each supplier whose deadline is within 7 days, once; returns how many.

    Safe with several workers: each reminder is claimed by a conditional UPDATE
    of ``reminder_sent_at`` (the row lock, or SQLite's single writer, lets one
    claim win), committed with its email. A request made with less than 7 days
    to answer gets no reminder.
    """
    now = now or utcnow()
    horizon = now + timedelta(days=REMINDER_DAYS_BEFORE)
    due = session.exec(
        select(CorrectionRequest.id, CorrectionRequest.requested_at, CorrectionRequest.due_at)
        .where(sa.text(CORRECTION_OPEN), CorrectionRequest.reminder_sent_at.is_(None),
               CorrectionRequest.due_at <= horizon, CorrectionRequest.due_at > now)
    ).all()
    session.commit()  # each claim below starts its own transaction
    table = CorrectionRequest.__table__
    sent = 0
    for correction_id, requested_at, due_at in due:
        if as_utc(due_at) - as_utc(requested_at) <= timedelta(days=REMINDER_DAYS_BEFORE):
            continue
        claimed = session.execute(
            sa.update(table).where(table.c.id == correction_id,
                                   table.c.reminder_sent_at.is_(None), sa.text(CORRECTION_OPEN))
            .values(reminder_sent_at=now))
        if claimed.rowcount != 1:
            session.rollback()
            continue
        correction = session.get(CorrectionRequest, correction_id)
        session.refresh(correction)
        request = session.get(FundingRequest, correction.funding_request_id)
        recipient = (session.get(UserAccount, request.deposited_by_id)
                     if request.deposited_by_id else None)
        pieces = list(session.exec(select(Attachment).where(
            Attachment.correction_id == correction.id).order_by(Attachment.id)))
        record_event(session, "correction_reminder", request=request, staff_id=None, now=now,
                     due=f"réponse attendue avant le {fr_date(correction.due_at)}")
        if recipient is not None:
            content = correction_reminder(
                request.dossier_number, asked_texts(pieces), fr_date(correction.due_at),
                tracking_url=tracking_url, assistance_url=assistance_url)
            mail.queue_email(session, template=TemplateName.CORRECTION_REMINDER,
                             to=recipient.email, subject=content.subject, text=content.text,
                             html=content.html, user_id=recipient.id,
                             funding_request_id=request.id)
        session.commit()
        sent += 1
    return sent
