"""« Besoin d'aide ? », « Contacter l'assistance », « Mes demandes d'assistance »
and the staff's assistance list.

Thin states: the rules live in :mod:`segur_app.domain.assistance`. The contact
form is public AND usable logged in: its handlers re-read the session each
time (a logged-in user's address is the account's, read-only); public use
goes through the enrolment form's anti-abuse rules (honeypot, minimum fill
time, per-address limits). The attachment is the ``"attachment"`` slot of
:class:`~segur_app.state.uploads.StagedUploadsMixin` (its key stays backend-only).
"""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from segur_app import routes
from segur_app.core.db import session_scope
from segur_app.links import absolute_url
from segur_app.domain import storage, uploads
from segur_app.domain.assistance.tickets import TicketInput, TicketRefused
from segur_app.domain.assistance.views import TicketView
from segur_app.domain.assistance import staff_list as ticket_list, tickets, views
from segur_app.domain.anti_abuse import HONEYPOT_NAME
from segur_app.domain.models import AssistanceTicket, TicketCategory, TicketStatus
from segur_app.domain.access import Audience
from segur_app.state.base import (
    MSG_SESSION_EXPIRED,
    SessionState,
    guarded,
    in_transaction,
    principal,
    public,
)
from segur_app.list_query import TICKET_FILTER_PARAMS, ticket_filters_from, window_from
from segur_app.state.focus import focus
from segur_app.state.staff_list import StaffListMixin
from segur_app.state.uploads import StagedUploadsMixin
from segur_app.domain.accounts import first_login

CONFIRMATION_ID = "confirmation-assistance"
ERROR_SUMMARY_ID = "resume-erreurs-assistance"
FIELD_KEYS = ("category", "message", "contact_name", "contact_email", "attachment")

MSG_FIX_ERRORS = "Le formulaire contient des erreurs : corrigez les champs signalés."
MSG_SESSION_LOST = (
    MSG_SESSION_EXPIRED + " Vous pouvez tout de même envoyer votre demande en "
    "renseignant votre nom et votre adresse électronique."
)


def _no_errors() -> dict[str, str]:
    return {key: "" for key in FIELD_KEYS}


class HelpState(SessionState):
    """« Besoin d'aide ? »: public, with a link to the supplier's tickets when logged in."""

    is_supplier: bool = False

    @public
    async def load(self):
        user = await self._visitor()  # public page: no redirect, only a hint
        self.is_supplier = bool(user and not user.is_staff
                                and user.next_step == first_login.STEP_HOME)


ATTACHMENT = "attachment"


class AssistanceFormState(StagedUploadsMixin, SessionState):
    logged_in: bool = False
    account_email: str = ""
    category: str = ""
    message: str = ""
    contact_name: str = ""
    contact_email: str = ""
    errors: dict[str, str] = _no_errors()
    form_errors: list[str] = []
    file_name: str = ""
    file_size: str = ""
    submitting: bool = False
    submitted_number: str = ""
    submitted_email: str = ""
    form_key: int = 0

    _started_at: float = 0.0

    def _upload_policy(self, slot: str) -> uploads.UploadPolicy | None:
        return tickets.ATTACHMENT_UPLOAD if slot == ATTACHMENT else None

    def _show_upload(self, slot: str, **shown: str) -> None:
        if "name" in shown:
            self.file_name = shown["name"]
        if "size" in shown:
            self.file_size = shown["size"]
        if "error" in shown:
            self.errors = {**self.errors, ATTACHMENT: shown["error"]}

    def _restart(self) -> None:
        self._discard_upload(ATTACHMENT)
        self.category = self.message = self.contact_name = self.contact_email = ""
        self.errors = _no_errors()
        self.form_errors = []
        self.submitting = False
        self._started_at = time.time()
        self.form_key += 1

    async def _who(self):
        """The logged-in user who may use the form as such (None = public use)."""
        user = await self._visitor()
        if user is None or user.next_step != first_login.STEP_HOME:
            return None
        return user

    async def _refresh_identity(self) -> None:
        user = await self._who()
        self.logged_in = user is not None
        if user is None:
            self.account_email = ""
            return
        self.account_email = await in_transaction(
            lambda s: views.contact_of(s, user_id=user.id))

    @public
    async def load(self):
        self.submitted_number = self.submitted_email = ""
        self._restart()
        await self._refresh_identity()

    @public
    async def new_request(self):
        await self.load()

    @public
    async def stage_file(self, files: list[rx.UploadFile]):
        if not files or self.submitted_number:
            return
        user = await self._who()
        if user is None:
            address = self._client()["client_address"]
            if not await in_transaction(
                lambda s: tickets.register_attachment_upload(s, client_address=address)
            ):
                self.errors = {**self.errors, ATTACHMENT: tickets.MSG_UPLOAD_THROTTLED}
                return
        await self._stage_upload(ATTACHMENT, files)

    @public
    def file_rejected(self, rejections: list[dict]):
        self._upload_rejected(ATTACHMENT, rejections)

    @public
    def remove_file(self):
        self._discard_upload(ATTACHMENT)

    def _show_errors(self, errors: dict[str, str]):
        self.errors = {**_no_errors(), **errors}
        self.form_errors = [MSG_FIX_ERRORS] if errors else []
        if not errors:
            return None
        first = next(iter(errors))
        return focus(f"#assistance-{first}" if first != ATTACHMENT else f"#{ERROR_SUMMARY_ID}")

    @public
    async def send(self, form: dict):
        """« Envoyer ma demande »."""
        if self.submitting or self.submitted_number:
            return
        was_logged_in = self.logged_in
        user = await self._who()  # a session that ended wipes the tab: read the form after
        self.category = str(form.get("category") or "")[:16]
        self.message = str(form.get("message") or "")[: tickets.MAX_MESSAGE_LENGTH * 2]
        self.contact_name = str(form.get("contact_name") or "")[:480]
        self.contact_email = str(form.get("contact_email") or "")[:500]
        address = self._client()["client_address"]
        if user is None and was_logged_in:  # the session ended since the form was shown
            self.logged_in, self.account_email = False, ""
            self.form_errors = [MSG_SESSION_LOST]
            yield focus(f"#{ERROR_SUMMARY_ID}")
            return
        data = TicketInput(self.category, self.message, self.contact_email, self.contact_name)
        if user is None:
            honeypot = str(form.get(HONEYPOT_NAME) or "")
            elapsed = time.time() - self._started_at if self._started_at else None
            if tickets.looks_automated(honeypot=honeypot, elapsed_seconds=elapsed):
                reason = "assistance_honeypot" if honeypot.strip() else "assistance_too_fast"
                await in_transaction(lambda s: tickets.record_automated_attempt(
                    s, client_address=address, reason=reason))
                self.form_errors = [tickets.MSG_SENDING_FAILED]
                yield focus(f"#{ERROR_SUMMARY_ID}")
                return
        _, errors = tickets.check_input(data, public=user is None)
        if errors:
            yield self._show_errors(errors)
            return
        if user is None and not await in_transaction(
            lambda s: tickets.register_request_attempt(s, client_address=address)
        ):
            self.form_errors = [tickets.MSG_THROTTLED]
            yield focus(f"#{ERROR_SUMMARY_ID}")
            return
        self.submitting = True
        self.form_errors = []
        yield
        user_id = user.id if user is not None else None
        try:
            result = await asyncio.to_thread(_create, data, user_id,
                                             self._staged_upload(ATTACHMENT), address)
        except TicketRefused as exc:
            self.submitting = False
            if ATTACHMENT in exc.field_errors:
                self._discard_upload(ATTACHMENT)
            moved = self._show_errors(exc.field_errors)
            self.form_errors = [exc.message]
            yield moved or focus(f"#{ERROR_SUMMARY_ID}")
            return
        self._forget_uploads()  # the attachment was published
        self._restart()
        self.submitted_number = result.number
        self.submitted_email = result.contact_email
        yield focus(f"#{CONFIRMATION_ID}")


def _create(data: TicketInput, user_id: int | None, attachment, address: str | None):
    with session_scope() as session:
        return tickets.create_ticket(
            session, data=data, user_id=user_id, attachment=attachment,
            store=storage.store_from_settings(),
            assistance_url=absolute_url(routes.ASSISTANCE),
            client_address=address,
        )


class MyTicketsState(SessionState):
    """« Mes demandes d'assistance » (supplier)."""

    tickets: list[TicketView] = []

    @guarded(Audience.SUPPLIER)
    async def load(self):
        user = principal()
        self.tickets = await in_transaction(
            lambda s: views.user_tickets(s, user_id=user.id))
        return None


STATUS_OPTIONS = [("", "Tous les statuts"), *TicketStatus.options()]
CATEGORY_OPTIONS = [("", "Tous les objets"), *TicketCategory.options()]
SORT_OPTIONS = [
    ("statut", "En attente de réponse d'abord"),
    ("depot_asc", "Date d'envoi (anciennes d'abord)"),
    ("depot_desc", "Date d'envoi (récentes d'abord)"),
    ("numero", "Numéro de demande"),
]


class StaffAssistanceState(StaffListMixin, SessionState):
    """Staff: every ticket, open ones first (filters, sort and page in the URL);
    answer and close."""

    tickets: list[TicketView] = []
    open_tickets: int = 0
    # Current filters, echoed in the form and in links.
    status: str = ""
    category: str = ""
    search: str = ""
    sort: str = ticket_list.DEFAULT_SORT
    message: str = ""
    error: str = ""
    answer_errors: dict[str, str] = {}
    form_key: int = 0

    async def _reload(self) -> None:
        params = self._params()
        filters, window = ticket_filters_from(params), window_from(params)
        result, self.open_tickets = await in_transaction(lambda s: (
            ticket_list.ticket_page(s, filters=filters, window=window),
            views.open_count(s)))
        self.tickets = result.rows
        self._show_page(routes.STAFF_ASSISTANCE, params, total=result.total, page=result.page,
                        pages=result.pages, ids=[t.id for t in result.rows],
                        names=TICKET_FILTER_PARAMS)
        self.status, self.category = filters.status, filters.category
        self.search, self.sort = filters.search, filters.sort

    @guarded(Audience.STAFF)
    async def load(self):
        self.message = self.error = ""
        self.answer_errors = {}
        await self._reload()
        return None

    @guarded(Audience.STAFF)
    async def apply_filters(self, form: dict):
        return self._filtered(routes.STAFF_ASSISTANCE, form, TICKET_FILTER_PARAMS)

    @guarded(Audience.STAFF)
    async def answer(self, form: dict):
        user = principal()
        try:
            ticket_id = int(form.get("ticket_id") or 0)
        except ValueError:
            return None
        text = str(form.get("answer") or "")[: tickets.MAX_ANSWER_LENGTH * 2]

        def work(session):
            tickets.answer_ticket(
                session, ticket_id=ticket_id, answer=text, staff_id=user.id,
                tickets_url=absolute_url(routes.MY_TICKETS),
                assistance_url=absolute_url(routes.ASSISTANCE),
            )
            return session.get(AssistanceTicket, ticket_id).number

        self.message = self.error = ""
        try:
            number = await in_transaction(work)
        except TicketRefused as exc:
            if "answer" in exc.field_errors:
                self.answer_errors = {str(ticket_id): exc.message}
                return None
            self.error = exc.message
            await self._reload()
            return None
        self.answer_errors = {}
        self.message = f"La réponse à la demande {number} a été envoyée."
        self.form_key += 1
        await self._reload()
        return None

    @guarded(Audience.STAFF)
    async def close(self, ticket_id: int):
        user = principal()
        ticket_id = int(ticket_id)

        def work(session):
            tickets.close_ticket(session, ticket_id=ticket_id, staff_id=user.id)
            return session.get(AssistanceTicket, ticket_id).number

        self.message = self.error = ""
        try:
            number = await in_transaction(work)
        except TicketRefused as exc:
            self.error = exc.message
        else:
            self.message = f"La demande {number} a été close."
        await self._reload()
        return None

