"""What happens to a submitted enrolment request: the supplier follows it
(« Suivi des demandes d'enrôlement »), staff take it in charge and decide
(« Demandes d'enrôlement à instruire »).

Thin states: the rules are in ``segur_app.domain.enrolment`` (decision,
staff_list, views).
"""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.domain import generated_documents
from segur_app.domain.access import Audience
from segur_app.domain.enrolment import decision, rules, staff_list, views
from segur_app.domain.enrolment.rules import DecisionRefused
from segur_app.domain.enrolment.views import EnrolmentTrackingView, PendingEnrolmentView
from segur_app.domain.generated_documents import GeneratedDocumentView
from segur_app.links import absolute_url
from segur_app.list_query import (
    ENROLMENT_FILTER_PARAMS,
    ENROLMENT_KEPT_EMPTY,
    enrolment_filters_from,
    filter_query,
    form_query,
    url_params,
)
from segur_app.state.base import SessionState, guarded, in_transaction, principal
from segur_app.state.focus import focus

STAFF_PAGE_SIZE = 10


# ---------------------------------------------------------------------------
# « Suivi des demandes d'enrôlement » (supplier)
# ---------------------------------------------------------------------------


class EnrolmentTrackingState(SessionState):
    view: EnrolmentTrackingView | None = None
    has_enrolment: bool = False
    issued: list[GeneratedDocumentView] = []

    @guarded(Audience.SUPPLIER)
    async def load(self):
        user = principal()
        self.view, self.issued = await in_transaction(
            lambda s: _tracking_with_documents(s, user.supplier_id)
        )
        self.has_enrolment = self.view is not None
        return None


def _tracking_with_documents(session, supplier_id: int | None):
    """The tracking view and the PDFs issued for the enrolment it shows (its receipt)."""
    view = views.enrolment_tracking(session, supplier_id=supplier_id)
    if view is None:
        return None, []
    return view, generated_documents.for_enrolment_number(session, number=view.number)


# ---------------------------------------------------------------------------
# « Demandes d'enrôlement à instruire » (staff)
# ---------------------------------------------------------------------------


class StaffEnrolmentsState(SessionState):
    items: list[PendingEnrolmentView] = []
    page: int = 1
    pages: int = 1
    total: int = 0
    message: str = ""
    error: str = ""
    reason_error_id: int = 0
    reason_error: str = ""

    # Current filters (from the URL), echoed in the form and the export link.
    status: str = staff_list.PENDING_FILTER
    search: str = ""
    date_from: str = ""
    date_to: str = ""
    sort: str = staff_list.DEFAULT_SORT
    query: str = ""

    # Backend only: the reasons typed, by enrolment id.
    _reasons: dict[int, str] = {}
    # Keyset pages: the cursor that gave the current page, its first and last rows.
    _after: int | None = None
    _before: int | None = None
    _first_id: int | None = None
    _last_id: int | None = None

    async def _refresh(self, page: int, *, after: int | None = None,
                       before: int | None = None):
        params = url_params(self.router.url.query)
        filters = enrolment_filters_from(params)
        self.status, self.search, self.sort = filters.status, filters.search, filters.sort
        self.date_from = filters.submitted_from.isoformat() if filters.submitted_from else ""
        self.date_to = filters.submitted_to.isoformat() if filters.submitted_to else ""
        self.query = filter_query(params, names=ENROLMENT_FILTER_PARAMS,
                                  kept_empty=ENROLMENT_KEPT_EMPTY)
        result = await in_transaction(
            lambda s: staff_list.list_enrolments(
                s, filters=filters, page=page, page_size=STAFF_PAGE_SIZE,
                after=after, before=before)
        )
        self.items, self.total = result.items, result.total
        self.page, self.pages = result.page, result.pages
        self._after, self._before = after, before
        self._first_id = result.items[0].id if result.items else None
        self._last_id = result.items[-1].id if result.items else None

    @guarded(Audience.STAFF)
    async def load(self):
        self.message = self.error = self.reason_error = ""
        self.reason_error_id = 0
        await self._refresh(1)

    @guarded(Audience.STAFF)
    async def apply_filters(self, form: dict):
        query = form_query(form, names=ENROLMENT_FILTER_PARAMS, kept_empty=ENROLMENT_KEPT_EMPTY)
        return rx.redirect(f"{routes.STAFF_ENROLMENTS}?{query}")

    @guarded(Audience.STAFF)
    async def next_page(self):
        await self._refresh(self.page + 1, after=self._last_id)

    @guarded(Audience.STAFF)
    async def previous_page(self):
        await self._refresh(self.page - 1, before=self._first_id)

    async def _run(self, work):
        """Run ``work(session, staff_id, client_address)`` for the logged-in agent,
        show its message (or the refusal), then reload the list."""
        user = principal()
        address = self._client()["client_address"]
        self.message = self.error = self.reason_error = ""
        self.reason_error_id = 0
        try:
            self.message = await in_transaction(lambda s: work(s, user.id, address))
        except DecisionRefused as exc:
            self.error = exc.message
        await self._refresh(self.page, after=self._after, before=self._before)

    async def _decide(self, enrolment_id: int, version: int, *, validate: bool,
                      reason: str = ""):
        await self._run(lambda session, staff_id, address: decision.decide(
            session, enrolment_id=enrolment_id, validate=validate, reason=reason,
            staff_id=staff_id, expected_version=version,
            login_url=absolute_url(routes.LOGIN), assistance_url=absolute_url(routes.ASSISTANCE),
            client_address=address,
        ).message)

    @guarded(Audience.STAFF)
    async def approve(self, enrolment_id: int, version: int):
        await self._decide(enrolment_id, version, validate=True)

    @guarded(Audience.STAFF)
    async def take(self, enrolment_id: int, version: int):
        """« Prendre en charge »: the request becomes « En cours »."""
        await self._run(lambda session, staff_id, address: decision.take_in_charge(
            session, enrolment_id=enrolment_id, expected_version=version, staff_id=staff_id,
            client_address=address))

    @guarded(Audience.STAFF)
    async def set_reason(self, enrolment_id: int, value: str):
        """The reason field of a request lost the focus: keep its text."""
        self._reasons = {**self._reasons,
                         int(enrolment_id): str(value or "")[: rules.MAX_REASON_LENGTH + 1]}

    @guarded(Audience.STAFF)
    async def reject(self, enrolment_id: int, version: int):
        reason = self._reasons.get(int(enrolment_id), "")
        if not reason.strip():
            self.message = self.error = ""
            self.reason_error_id, self.reason_error = enrolment_id, rules.MSG_REASON_REQUIRED
            return focus(f'[data-motif="{int(enrolment_id)}"]')

        await self._decide(enrolment_id, version, validate=False, reason=reason)
        if not self.error:
            self._reasons = {k: v for k, v in self._reasons.items() if k != int(enrolment_id)}
