"""What a dossier shows of its pieces and emails, whichever the feature.

The funding screens (``funding/views.py``) and the enrolment ones
(``enrolment/views.py``) list a dossier's current attachments and the
automatic emails sent about it the same way: these frozen views, built by
:func:`document_view` and :func:`email_view`.
"""

from __future__ import annotations

from dataclasses import dataclass

from segur_app.domain import uploads
from segur_app.domain.dates import fr_date, fr_datetime
from segur_app.domain.models import (
    Attachment,
    AttachmentKind,
    EmailMessage,
    EmailStatus,
    ReviewStatus,
    ScanResult,
)


@dataclass(frozen=True)
class DocumentView:
    id: int
    label: str
    file_name: str
    size: str
    deposited_on: str
    review_label: str
    scan_label: str = ""
    """The antivirus verdict (``ScanResult`` label), shown to the staff."""


@dataclass(frozen=True)
class EmailView:
    id: int
    date: str
    subject: str
    status_label: str
    body: str


def document_view(attachment: Attachment) -> DocumentView:
    return DocumentView(
        id=attachment.id,
        label=AttachmentKind(attachment.kind).label,
        file_name=attachment.original_name,
        size=uploads.format_size(attachment.size_bytes),
        deposited_on=fr_date(attachment.uploaded_at),
        review_label=ReviewStatus(attachment.review_status).label,
        scan_label=ScanResult(attachment.scan_result).label,
    )


def email_view(message: EmailMessage, *, body: str | None = None) -> EmailView:
    """``body``: what is shown instead of the message's text (a redacted one)."""
    return EmailView(
        id=message.id,
        date=fr_datetime(message.sent_at or message.created_at),
        subject=message.subject,
        status_label=EmailStatus(message.status).label,
        body=message.body_text if body is None else body,
    )
