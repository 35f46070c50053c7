"""Assistance tickets: sending (public or logged in), answering and closing (staff).

Sending (public or logged in)
    :func:`create_ticket` checks the message, stores the ticket (``ASSSAS``
    number, status « En attente de réponse »), its optional attachment
    published from staging to private storage (``uploads.publish``: the sha256 of
    the file checked when it was chosen is verified, it is not checked again), the history
    and the acknowledgement email (outbox) in one unit of work — and commits;
    on any failure nothing remains and the staged attachment is kept. A logged-in user's
    contact address is the one of their account (never what the form says).

Abuse resistance of the public form
    The enrolment form's helpers are reused: honeypot and minimum fill time
    (:func:`segur_app.domain.anti_abuse.looks_automated`), per-address limits
    counted from the audit trail.

Answers (staff)
    :func:`answer_ticket` (open → answered, the answer emailed to the contact)
    and :func:`close_ticket` (open/answered → closed) change the status with a
    conditional UPDATE, so two agents never both answer the same ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from segur_app.domain import mail, mail_templates, storage, uploads, validators
from segur_app.domain.accounts.events import audit
from segur_app.domain.anti_abuse import (  # shared by the public forms
    count_sending,
    count_upload,
    looks_automated,
    record_automated_attempt,
)
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import (
    AssistanceTicket,
    AttachmentKind,
    TicketCategory,
    TicketStatus,
    UserAccount,
    utcnow,
)
from segur_app.domain.numbering import TICKET_SERIES, next_number
from segur_app.domain.refusals import Refused

__all__ = [
    "ATTACHMENT_UPLOAD",
    "TicketInput",
    "TicketRefused",
    "TicketResult",
    "answer_ticket",
    "category_options",
    "check_input",
    "close_ticket",
    "create_ticket",
    "looks_automated",
    "record_automated_attempt",
    "register_attachment_upload",
    "register_request_attempt",
]

MAX_MESSAGE_LENGTH = 5000
MAX_NAME_LENGTH = 240
MAX_ANSWER_LENGTH = 5000
REQUESTS_PER_ADDRESS = 5
UPLOADS_PER_ADDRESS = 20

AUDIT_REQUEST_ATTEMPT = "assistance_request_attempt"
AUDIT_REQUEST_THROTTLED = "assistance_request_throttled"
AUDIT_ATTACHMENT_STAGED = "assistance_attachment_staged"
AUDIT_CREATED = "assistance_ticket_created"
AUDIT_ANSWERED = "assistance_ticket_answered"
AUDIT_CLOSED = "assistance_ticket_closed"

CATEGORY_FIELD_LABEL = "Objet de votre demande"
MESSAGE_FIELD_LABEL = "Votre message"
NAME_FIELD_LABEL = "Nom et prénom"

MSG_CATEGORY = "Veuillez choisir l'objet de votre demande."
MSG_MESSAGE_REQUIRED = "Le message est obligatoire."
MSG_MESSAGE_TOO_LONG = f"Le message ne doit pas dépasser {MAX_MESSAGE_LENGTH} caractères."
MSG_ANSWER_REQUIRED = "La réponse est obligatoire."
MSG_ANSWER_TOO_LONG = f"La réponse ne doit pas dépasser {MAX_ANSWER_LENGTH} caractères."
MSG_ATTACHMENT_LOST = "La pièce jointe n'est plus disponible : joignez-la de nouveau."
MSG_SENDING_FAILED = (
    "Votre demande n'a pas pu être enregistrée. Aucune donnée n'a été conservée : "
    "veuillez réessayer dans quelques instants."
)
MSG_THROTTLED = (
    "Trop de demandes d'assistance ont été envoyées depuis votre poste. Veuillez "
    "réessayer dans une heure."
)
MSG_UPLOAD_THROTTLED = (
    "Trop de fichiers ont été envoyés depuis votre poste. Veuillez réessayer plus tard."
)
MSG_NOT_FOUND = "Cette demande d'assistance n'existe pas."
MSG_NOT_OPEN = (
    "Cette demande d'assistance a déjà reçu une réponse ou a été close (par un autre "
    "agent ?). La liste a été actualisée."
)
MSG_ALREADY_CLOSED = "Cette demande d'assistance est déjà close."


class TicketRefused(Refused):
    """The ticket cannot be stored or changed; ``message`` (French) and per-field errors."""


@dataclass(frozen=True)
class TicketInput:
    """What the form sends (contact fields are ignored for a logged-in user)."""

    category: str
    message: str
    contact_email: str = ""
    contact_name: str = ""


@dataclass(frozen=True)
class TicketResult:
    ticket_id: int
    number: str
    contact_email: str


def category_options() -> list[tuple[str, str]]:
    return TicketCategory.options()


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def _clean_message(value: str, *, required: str, too_long: str, limit: int) -> str:
    cleaned = "\n".join(line.rstrip() for line in (value or "").replace("\r\n", "\n").split("\n"))
    cleaned = "".join(c for c in cleaned if c in "\n\t" or c.isprintable()).strip()
    if not cleaned:
        raise validators.InvalidValue(required)
    if len(cleaned) > limit:
        raise validators.InvalidValue(too_long)
    return cleaned


def check_input(data: TicketInput, *, public: bool) -> tuple[TicketInput, dict[str, str]]:
    """The cleaned input and the per-field errors (empty when everything is valid)."""
    errors: dict[str, str] = {}
    category = data.category if data.category in {c.value for c in TicketCategory} else ""
    if not category:
        errors["category"] = MSG_CATEGORY
    message = ""
    try:
        message = _clean_message(data.message, required=MSG_MESSAGE_REQUIRED,
                                 too_long=MSG_MESSAGE_TOO_LONG, limit=MAX_MESSAGE_LENGTH)
    except validators.InvalidValue as exc:
        errors["message"] = exc.message
    email, name = "", ""
    if public:
        try:
            name = validators.text(data.contact_name, label=NAME_FIELD_LABEL,
                                   max_length=MAX_NAME_LENGTH)
        except validators.InvalidValue as exc:
            errors["contact_name"] = exc.message
        try:
            email = validators.email(data.contact_email)
        except validators.InvalidValue as exc:
            errors["contact_email"] = exc.message
    return TicketInput(category, message, email, name), errors


# ---------------------------------------------------------------------------
# Public form: per-address limits
# ---------------------------------------------------------------------------


def register_request_attempt(
    session: Session, *, client_address: str | None, now: datetime | None = None
) -> bool:
    """Count one sending of the public form; False (and recorded) past the limit."""
    return count_sending(session, action=AUDIT_REQUEST_ATTEMPT,
                         throttled_action=AUDIT_REQUEST_THROTTLED, limit=REQUESTS_PER_ADDRESS,
                         client_address=client_address, now=now)


def register_attachment_upload(
    session: Session, *, client_address: str | None, now: datetime | None = None
) -> bool:
    """Count one attachment staged from the public form; False past the limit."""
    return count_upload(session, action=AUDIT_ATTACHMENT_STAGED, limit=UPLOADS_PER_ADDRESS,
                        client_address=client_address, now=now)


# ---------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------


ATTACHMENT_UPLOAD = uploads.UploadPolicy.for_kind(AttachmentKind.ASSISTANCE,
                                                  browser_label="Pièce jointe")
"""What the optional attachment accepts (PDF, PNG, JPEG of 4 Mo at most)."""


def _publish_attachment(session: Session, document: uploads.StagedDocument,
                        store: storage.Storage) -> str:
    """Publish the staged attachment: still there, still the file that was checked."""
    try:
        return uploads.publish(session, document, policy=ATTACHMENT_UPLOAD,
                               store=store)
    except uploads.StagedFileMissing:
        raise TicketRefused(MSG_ATTACHMENT_LOST,
                            field_errors={"attachment": MSG_ATTACHMENT_LOST}) from None
    except storage.StorageUnavailable:
        raise TicketRefused(storage.MSG_UNAVAILABLE) from None
    except uploads.StagedFileAltered as altered:
        if altered.rejection is None:
            raise TicketRefused(MSG_SENDING_FAILED) from None
        message = altered.rejection.message
        raise TicketRefused(message, field_errors={"attachment": message}) from None


def create_ticket(
    session: Session,
    *,
    data: TicketInput,
    user_id: int | None,
    attachment: uploads.StagedDocument | None,
    store: storage.Storage,
    assistance_url: str,
    client_address: str | None = None,
    now: datetime | None = None,
) -> TicketResult:
    """Store a checked ticket — and COMMIT (row, attachment file and email together).

    Raises :class:`TicketRefused` (nothing stored) when a rule is not met.
    """
    now = now or utcnow()
    user = session.get(UserAccount, user_id) if user_id is not None else None
    if user_id is not None and user is None:
        raise TicketRefused(MSG_SENDING_FAILED)
    cleaned, errors = check_input(data, public=user is None)
    if errors:
        raise TicketRefused(next(iter(errors.values())), field_errors=errors)
    if user is not None:
        cleaned = TicketInput(cleaned.category, cleaned.message, user.email, user.display_name)
    if attachment is not None and attachment.kind != ATTACHMENT_UPLOAD.kind:
        raise TicketRefused(MSG_ATTACHMENT_LOST, field_errors={"attachment": MSG_ATTACHMENT_LOST})
    try:
        ticket = AssistanceTicket(
            number=next_number(session, TICKET_SERIES),
            category=cleaned.category,
            message=cleaned.message,
            contact_email=cleaned.contact_email,
            contact_name=cleaned.contact_name,
            user_id=user.id if user is not None else None,
            status=TicketStatus.OPEN.value,
            created_at=now,
        )
        session.add(ticket)
        session.flush()
        if attachment is not None:
            session.add(uploads.attachment_row(
                attachment, kind=AttachmentKind.ASSISTANCE.value,
                storage_key=_publish_attachment(session, attachment, store),
                uploaded_at=now, uploaded_by_id=ticket.user_id, ticket_id=ticket.id,
            ))
        audit(session, AUDIT_CREATED, actor_user_id=ticket.user_id,
              client_address=client_address, now=now, ticket_id=ticket.id,
              number=ticket.number, category=ticket.category)
        content = mail_templates.assistance_acknowledgement(
            ticket.number, TicketCategory(ticket.category).label, assistance_url=assistance_url
        )
        mail.queue_email(
            session, template=TemplateName.ASSISTANCE_ACKNOWLEDGEMENT, to=ticket.contact_email,
            subject=content.subject, text=content.text, html=content.html,
            user_id=ticket.user_id,
        )
        session.flush()
        session.commit()  # the staged attachment is discarded once it has happened
    except BaseException:
        session.rollback()  # the published attachment is removed (file_commit)
        raise
    return TicketResult(ticket_id=ticket.id, number=ticket.number,
                        contact_email=ticket.contact_email)


# ---------------------------------------------------------------------------
# Staff: answer, close
# ---------------------------------------------------------------------------


def _transition(session: Session, ticket_id: int, allowed: tuple[TicketStatus, ...],
                **values) -> bool:
    table = AssistanceTicket.__table__
    result = session.execute(
        sa.update(table)
        .where(table.c.id == ticket_id, table.c.status.in_([s.value for s in allowed]))
        .values(**values)
    )
    return result.rowcount == 1


def answer_ticket(
    session: Session,
    *,
    ticket_id: int,
    answer: str,
    staff_id: int,
    tickets_url: str | None = None,
    assistance_url: str | None = None,
    now: datetime | None = None,
) -> None:
    """Open → answered; the answer is emailed to the contact — commits."""
    now = now or utcnow()
    try:
        text = _clean_message(answer, required=MSG_ANSWER_REQUIRED, too_long=MSG_ANSWER_TOO_LONG,
                              limit=MAX_ANSWER_LENGTH)
    except validators.InvalidValue as exc:
        raise TicketRefused(exc.message, field_errors={"answer": exc.message}) from None
    ticket = session.get(AssistanceTicket, ticket_id)
    if ticket is None:
        raise TicketRefused(MSG_NOT_FOUND)
    if not _transition(session, ticket_id, (TicketStatus.OPEN,),
                       status=TicketStatus.ANSWERED.value, answer=text, answered_at=now,
                       answered_by_id=staff_id):
        session.rollback()
        raise TicketRefused(MSG_NOT_OPEN)
    audit(session, AUDIT_ANSWERED, actor_user_id=staff_id, now=now, ticket_id=ticket_id,
          number=ticket.number)
    content = mail_templates.assistance_answer(
        ticket.number, text, tickets_url=tickets_url if ticket.user_id else None,
        assistance_url=assistance_url,
    )
    mail.queue_email(
        session, template=TemplateName.ASSISTANCE_ANSWER, to=ticket.contact_email,
        subject=content.subject, text=content.text, html=content.html, user_id=ticket.user_id,
    )
    session.commit()
    session.expire_all()


def close_ticket(session: Session, *, ticket_id: int, staff_id: int,
                 now: datetime | None = None) -> None:
    """Open or answered → closed — commits."""
    now = now or utcnow()
    ticket = session.get(AssistanceTicket, ticket_id)
    if ticket is None:
        raise TicketRefused(MSG_NOT_FOUND)
    if not _transition(session, ticket_id, (TicketStatus.OPEN, TicketStatus.ANSWERED),
                       status=TicketStatus.CLOSED.value, closed_at=now):
        session.rollback()
        raise TicketRefused(MSG_ALREADY_CLOSED)
    audit(session, AUDIT_CLOSED, actor_user_id=staff_id, now=now, ticket_id=ticket_id,
          number=ticket.number)
    session.commit()
    session.expire_all()

