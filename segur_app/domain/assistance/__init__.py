"""« Contacter l'assistance »: assistance tickets (ASSSAS numbers), answers by ASP staff.

Modules: :mod:`.tickets` (checks, per-address limits, create, answer, close),
:mod:`.views` (what the screens show of a ticket), :mod:`.staff_list` (the
staff list: filters, sorts, keyset pages — the machinery of the other staff
lists). The public names are re-exported here: callers write
``from segur_app.domain import assistance`` then ``assistance.create_ticket(...)``.
"""

from __future__ import annotations

from segur_app.domain.assistance.staff_list import (
    DEFAULT_SORT,
    PAGE_SIZE,
    SORTS,
    TicketFilters,
    ticket_page,
)
from segur_app.domain.assistance.tickets import (
    ATTACHMENT_UPLOAD,
    AUDIT_ANSWERED,
    AUDIT_ATTACHMENT_STAGED,
    AUDIT_CLOSED,
    AUDIT_CREATED,
    AUDIT_REQUEST_ATTEMPT,
    AUDIT_REQUEST_THROTTLED,
    CATEGORY_FIELD_LABEL,
    MAX_ANSWER_LENGTH,
    MAX_MESSAGE_LENGTH,
    MAX_NAME_LENGTH,
    MESSAGE_FIELD_LABEL,
    MSG_ALREADY_CLOSED,
    MSG_ANSWER_REQUIRED,
    MSG_ANSWER_TOO_LONG,
    MSG_ATTACHMENT_LOST,
    MSG_CATEGORY,
    MSG_MESSAGE_REQUIRED,
    MSG_MESSAGE_TOO_LONG,
    MSG_NOT_FOUND,
    MSG_NOT_OPEN,
    MSG_SENDING_FAILED,
    MSG_THROTTLED,
    MSG_UPLOAD_THROTTLED,
    NAME_FIELD_LABEL,
    REQUESTS_PER_ADDRESS,
    UPLOADS_PER_ADDRESS,
    TicketInput,
    TicketRefused,
    TicketResult,
    answer_ticket,
    category_options,
    check_input,
    close_ticket,
    create_ticket,
    looks_automated,
    record_automated_attempt,
    register_attachment_upload,
    register_request_attempt,
)
from segur_app.domain.assistance.views import (
    TicketView,
    contact_of,
    open_count,
    ticket_views,
    user_tickets,
)

__all__ = [
    "ATTACHMENT_UPLOAD", "AUDIT_ANSWERED", "AUDIT_ATTACHMENT_STAGED",
    "AUDIT_CLOSED", "AUDIT_CREATED", "AUDIT_REQUEST_ATTEMPT", "AUDIT_REQUEST_THROTTLED",
    "CATEGORY_FIELD_LABEL", "DEFAULT_SORT", "MAX_ANSWER_LENGTH", "MAX_MESSAGE_LENGTH",
    "MAX_NAME_LENGTH", "MESSAGE_FIELD_LABEL", "MSG_ALREADY_CLOSED", "MSG_ANSWER_REQUIRED",
    "MSG_ANSWER_TOO_LONG", "MSG_ATTACHMENT_LOST", "MSG_CATEGORY", "MSG_MESSAGE_REQUIRED",
    "MSG_MESSAGE_TOO_LONG", "MSG_NOT_FOUND", "MSG_NOT_OPEN", "MSG_SENDING_FAILED",
    "MSG_THROTTLED", "MSG_UPLOAD_THROTTLED", "NAME_FIELD_LABEL", "PAGE_SIZE",
    "REQUESTS_PER_ADDRESS", "SORTS", "UPLOADS_PER_ADDRESS",
    "TicketFilters", "TicketInput", "TicketRefused", "TicketResult", "TicketView",
    "answer_ticket", "category_options", "check_input", "close_ticket", "contact_of",
    "create_ticket", "looks_automated", "open_count", "record_automated_attempt",
    "register_attachment_upload", "register_request_attempt", "ticket_page", "ticket_views",
    "user_tickets",
]
