"""ASP staff: dashboard, list of funding requests, instruction of one dossier.

Every handler starts with the staff guard; the list filters live in the URL
(bookmarkable) and are parsed here into ``RequestFilters``.
"""

from __future__ import annotations

from urllib.parse import urlencode

import reflex as rx

from segur_app import routes
from segur_app.links import absolute_url
from segur_app.domain import storage
from segur_app.domain.funding import corrections, deposit, instruction, staff_list, views
from segur_app.domain.funding.corrections import CorrectionView
from segur_app.domain.funding.deposit import SupplierSummary
from segur_app.domain.funding.instruction import InstructionError
from segur_app.domain.enrolment import staff_list as enrolment_list
from segur_app.domain.enrolment.staff_list import EnrolmentCounter
from segur_app.domain.funding.staff_list import Counter, RequestRow
from segur_app.domain.funding.views import DossierDetail, FundingView
from segur_app.domain.models import (
    FundingKind,
    FundingRequest,
    FundingStatus,
    ReviewStatus,
)
from segur_app.domain.access import Audience
from segur_app.domain.paging import Window
from segur_app.list_query import filter_query, filters_from, window_from
from segur_app.state.base import SessionState, guarded, in_transaction, principal
from segur_app.state.staff_list import StaffListMixin
from segur_app.state.quick_review import QuickReviewMixin

STATUS_OPTIONS = [("", "Tous les statuts"), *FundingStatus.options()]
KIND_OPTIONS = [("", "Tous les types"), *FundingKind.options()]
SORT_OPTIONS = [
    ("depot_desc", "Date de dépôt (récentes d'abord)"),
    ("depot_asc", "Date de dépôt (anciennes d'abord)"),
    ("numero", "Numéro de dossier"),
    ("statut", "Statut"),
    ("denomination", "Dénomination sociale"),
]
class DashboardState(SessionState):
    counters: list[Counter] = []
    enrolments: EnrolmentCounter | None = None
    overdue: int = 0  # awaiting corrections past the deadline

    @guarded(Audience.STAFF)
    async def load(self):
        self.counters, self.enrolments, self.overdue = await in_transaction(
            lambda s: (staff_list.counters(s), enrolment_list.enrolment_counters(s),
                       corrections.overdue_count(s))
        )
        return None


class StaffListState(StaffListMixin, SessionState):
    rows: list[RequestRow] = []
    # Current filters, echoed in the form and in links.
    status: str = ""
    kind: str = ""
    date_from: str = ""
    date_to: str = ""
    search: str = ""
    sort: str = staff_list.DEFAULT_SORT

    @guarded(Audience.STAFF)
    async def load(self):
        params = self._params()
        filters = filters_from(params)
        window: Window = window_from(params)
        result = await in_transaction(
            lambda s: staff_list.request_page(s, filters=filters, window=window)
        )
        self.rows = result.rows
        self._show_page(routes.STAFF_FUNDING_REQUESTS, params, total=result.total,
                        page=result.page, pages=result.pages, ids=[r.id for r in result.rows])
        self.status, self.kind = filters.status, filters.kind
        self.date_from = filters.deposited_from.isoformat() if filters.deposited_from else ""
        self.date_to = filters.deposited_to.isoformat() if filters.deposited_to else ""
        self.search, self.sort = filters.search, filters.sort
        return None

    @guarded(Audience.STAFF)
    async def apply_filters(self, form: dict):
        return self._filtered(routes.STAFF_FUNDING_REQUESTS, form)

    @guarded(Audience.STAFF)
    async def open_number(self, form: dict):
        """« Rechercher un dossier par son numéro » goes straight to it."""
        number = str(form.get(routes.PARAM_NUMBER, "")).strip().upper()
        found = await in_transaction(lambda s: views.find_by_number(s, number))
        if found is None:
            query = urlencode({routes.PARAM_SEARCH: number})
            return rx.redirect(f"{routes.STAFF_FUNDING_REQUESTS}?{query}")
        return rx.redirect(
            f"{routes.STAFF_FUNDING_REQUEST}?{urlencode({routes.PARAM_NUMBER: number})}"
        )


class DossierState(QuickReviewMixin, SessionState):
    """One dossier being instructed (one-action controls: ``QuickReviewMixin``)."""

    found: bool = False
    detail: DossierDetail | None = None
    rounds: list[CorrectionView] = []  # its « Demandes de compléments », newest first
    awaiting: bool = False
    overdue: bool = False
    due_on: str = ""  # deadline of the open request
    can_ask: bool = False  # a piece is « Non conforme » and the dossier is open
    view: FundingView | None = None
    summary: SupplierSummary | None = None
    message: str = ""
    error: str = ""
    previous_href: str = ""
    next_href: str = ""
    list_href: str = routes.STAFF_FUNDING_REQUESTS

    _request_id: int | None = None
    _version: int = 0

    def _dossier_href(self, number: str, params: dict[str, str]) -> str:
        query = filter_query(params, **{routes.PARAM_NUMBER: number})
        return f"{routes.STAFF_FUNDING_REQUEST}?{query}"

    async def _refresh(self) -> None:
        request_id = self._request_id
        params = dict(self.router.url.query_parameters)
        filters = filters_from(params)

        def work(session):
            detail = views.dossier_detail(session, request_id=request_id)
            if detail is None:
                return None
            rounds = corrections.correction_views(session, request_id=request_id)
            summary = deposit.supplier_summary(session, detail.supplier_id)
            previous, following = staff_list.neighbours(
                session, filters=filters, request_id=request_id
            )
            numbers = {
                i: session.get(FundingRequest, i).dossier_number
                for i in (previous, following) if i is not None
            }
            return detail, rounds, summary, numbers.get(previous), numbers.get(following)

        loaded = await in_transaction(work)
        self.found = loaded is not None
        if loaded is None:
            self.detail = self.view = self.summary = None
            self.rounds, self.awaiting, self.overdue, self.can_ask = [], False, False, False
            return
        detail, rounds, summary, previous, following = loaded
        self.detail, self.view, self.summary = detail, detail.supplier_view, summary
        self.rounds = rounds
        self.awaiting = detail.status == FundingStatus.AWAITING_CORRECTIONS.value
        self.overdue = any(r.overdue for r in rounds)
        self.due_on = next((r.due_on for r in rounds if r.is_open), "")
        self.can_ask = not detail.decided and not self.awaiting and any(
            a.review_status == ReviewStatus.NON_COMPLIANT.value for a in detail.attachments)
        self._version = detail.version
        self.previous_href = self._dossier_href(previous, params) if previous else ""
        self.next_href = self._dossier_href(following, params) if following else ""
        query = filter_query(params)
        self.list_href = routes.STAFF_FUNDING_REQUESTS + ("?" + query if query else "")

    @guarded(Audience.STAFF)
    async def load(self):
        self.message = self.error = ""
        self._drafts, self._undo, self.undo_label = {}, None, ""
        self.confirm_block = self.confirm_title = ""
        self.preview_title = self.preview_subject = self.preview_body = ""
        number = self.router.url.query_parameters.get(routes.PARAM_NUMBER, "")
        self._request_id = await in_transaction(lambda s: views.find_by_number(s, number))
        await self._refresh()
        return None

    async def _apply(self, action, success: str):
        """Run a domain change for the current dossier, then reload it; what the
        change returned (None when it was refused)."""
        staff_id = principal().id
        if self._request_id is None:
            return None
        result = None
        try:
            result = await in_transaction(lambda s: action(s, staff_id))
            self.message, self.error = success, ""
            self._drafts = {}
            self.preview_title = self.preview_subject = self.preview_body = ""
        except InstructionError as exc:
            self.message, self.error = "", exc.message
        await self._refresh()
        return result

    @guarded(Audience.STAFF)
    async def add_note(self, form: dict):
        text = str(form.get("note", ""))
        request_id = self._request_id
        await self._apply(
            lambda s, staff_id: instruction.add_note(
                s, request_id=request_id, text=text, staff_id=staff_id
            ),
            "Note ajoutée.",
        )

    @guarded(Audience.STAFF)
    async def ask_corrections(self, form: dict):
        """« Demander des compléments »: the pieces marked « Non conforme »."""
        message = str(form.get("message", ""))[:2000]
        version, request_id = self._version, self._request_id
        tracking, assistance = (absolute_url(routes.FUNDING_TRACKING),
                                absolute_url(routes.ASSISTANCE))
        await self._apply(
            lambda s, staff_id: corrections.request_corrections(
                s, request_id=request_id, staff_id=staff_id, expected_version=version,
                message=message, tracking_url=tracking, assistance_url=assistance,
            ),
            "La demande de compléments a été envoyée. Le fournisseur est informé par courriel.",
        )

    @guarded(Audience.STAFF)
    async def validate(self):
        await self._decide(True, "")

    @guarded(Audience.STAFF)
    async def reject(self, form: dict):
        await self._decide(False, str(form.get("reason", ""))[:2000])

    async def _decide(self, validate: bool, reason: str):
        version, request_id = self._version, self._request_id
        assistance = absolute_url(routes.ASSISTANCE)
        store = storage.store_from_settings()  # the decision letter's PDF
        await self._apply(
            lambda s, staff_id: instruction.decide(
                s, request_id=request_id, validate=validate, reason=reason,
                staff_id=staff_id, expected_version=version, assistance_url=assistance,
                store=store,
            ),
            "La demande a été validée. Le fournisseur est informé par courriel."
            if validate else "La demande a été rejetée. Le fournisseur est informé par courriel.",
        )
