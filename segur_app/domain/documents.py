"""Who may read which stored document, and safe filenames for downloads."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from sqlmodel import Session, select

from segur_app.domain.models import (
    AssistanceTicket,
    Attachment,
    Enrolment,
    FundingRequest,
    GeneratedDocument,
    NewsItem,
    Role,
    UserAccount,
)

MAX_DISPLAY_NAME = 120


def can_read(session: Session, *, user: UserAccount, attachment: Attachment) -> bool:
    """Owner supplier and staff read dossier documents (the pieces and the
    documents the portal generated for the dossier); news documents are for
    every logged-in user once published; a ticket's attachment is for staff and
    the user who sent the ticket."""
    is_staff = user.role == Role.STAFF.value
    funding_request_id, enrolment_id = attachment.funding_request_id, attachment.enrolment_id
    if attachment.news_id is None and attachment.ticket_id is None and (
        funding_request_id is None and enrolment_id is None
    ):
        # A document the portal generated for a dossier (receipt, decision letter).
        generated = session.exec(
            select(GeneratedDocument).where(GeneratedDocument.attachment_id == attachment.id)
        ).first()
        if generated is not None:
            funding_request_id, enrolment_id = generated.funding_request_id, generated.enrolment_id
    if attachment.news_id is not None:
        news = session.get(NewsItem, attachment.news_id)
        return news is not None and (is_staff or news.is_published)
    if funding_request_id is not None:
        return can_read_dossier(user=user, request=session.get(FundingRequest, funding_request_id))
    if enrolment_id is not None:
        enrolment = session.get(Enrolment, enrolment_id)
        return enrolment is not None and (
            is_staff or enrolment.supplier_id == user.supplier_id
        )
    if attachment.ticket_id is not None:
        ticket = session.get(AssistanceTicket, attachment.ticket_id)
        return ticket is not None and (is_staff or ticket.user_id == user.id)
    return is_staff


def can_read_dossier(*, user: UserAccount, request: FundingRequest | None) -> bool:
    """Staff and the request's own supplier read a funding dossier's documents."""
    return request is not None and (
        user.role == Role.STAFF.value or request.supplier_id == user.supplier_id)


def display_name(original: str) -> str:
    """A filename safe to show and to send back: no path, no control characters."""
    name = original.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return "document"
    if len(name) > MAX_DISPLAY_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_DISPLAY_NAME - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_DISPLAY_NAME]
    return name


def content_disposition(original: str, *, inline: bool) -> str:
    """RFC 6266 header value: ASCII fallback plus the UTF-8 ``filename*``."""
    name = display_name(original)
    ascii_name = (
        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    )
    ascii_name = re.sub(r'["\\;]', "_", ascii_name).strip() or "document"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
