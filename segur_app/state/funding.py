"""« Ma demande d'avance » (deposit form) and « Suivi de ma demande de financement »."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import reflex as rx

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.core.db import session_scope
from segur_app.links import absolute_url
from segur_app.domain.dates import fr_amount
from segur_app.domain import storage, uploads
from segur_app.domain.funding import deposit, views
from segur_app.domain.funding.deposit import DepositRefused, SupplierSummary
from segur_app.domain.funding.views import FundingView
from segur_app.domain.models import AttachmentKind, FundingKind, UserAccount
from segur_app.domain.access import Audience
from segur_app.state.base import SessionState, guarded, in_transaction, principal
from segur_app.state.uploads import StagedUploadsMixin


DEPOSIT_FAILED = (
    "Un incident technique a interrompu l'enregistrement de votre demande. Vos pièces "
    "sont conservées : cliquez de nouveau sur « Valider » dans quelques instants."
)
log = logging.getLogger(__name__)


@dataclass
class DocumentSlot:
    """One file picker of the form, as displayed."""

    kind: str
    number: int
    label: str
    file_name: str = ""
    size: str = ""
    error: str = ""


def _empty_slots(kind: FundingKind = FundingKind.ADVANCE) -> list[DocumentSlot]:
    return [
        DocumentSlot(kind=piece.value, number=n, label=piece.label)
        for n, piece in enumerate(deposit.required_documents(kind), start=1)
    ]


class PieceUploadsMixin(StagedUploadsMixin, mixin=True):
    """A supplier's form whose slots are a funding dossier's pieces, named by their
    kind: the deposit (:class:`FundingFormMixin`) and the answer to a « Demande de
    compléments » (``state/corrections.py``). Their three upload handlers, written
    once, for the same audience (the supplier)."""

    form_error: str = ""  # the form's alert (a file staged clears it)

    @guarded(Audience.SUPPLIER)
    async def stage_file(self, kind: str, files: list[rx.UploadFile]):
        """A file was chosen for ``kind``: check it now, keep it in staging."""
        if await self._stage_upload(kind, files):
            self.form_error = ""
        return None

    @guarded(Audience.SUPPLIER)
    def client_rejected(self, kind: str, rejections: list[dict]):
        """The browser refused the file before sending it (too large, several files)."""
        self._upload_rejected(kind, rejections)

    @guarded(Audience.SUPPLIER)
    async def remove_file(self, kind: str):
        """``kind``'s file removed (nothing for a slot the form does not have)."""
        if self._upload_policy(kind) is not None:
            self._discard_upload(kind)
            self._show_upload(kind, error="")
        return None


class FundingFormMixin(PieceUploadsMixin, mixin=True):
    """The deposit form shared by « Ma demande d'avance » and « Ma demande de solde ».

    Each concrete state (below) says which kind it deposits; the mixin gives
    each its own vars, so the two forms never share staged files. Each piece
    is a slot of :class:`StagedUploadsMixin`, named by its kind
    (:class:`PieceUploadsMixin`).
    """

    summary: SupplierSummary | None = None
    refusal: str = ""
    amount: str = ""
    slots: list[DocumentSlot] = []
    deposited_number: str = ""
    submitting: bool = False
    confirm_cancel: bool = False

    # -- helpers ----------------------------------------------------------------

    def _kind(self) -> FundingKind:
        raise NotImplementedError

    def _pieces(self) -> tuple[AttachmentKind, ...]:
        return deposit.required_documents(self._kind())

    def _amount(self) -> int:
        settings = get_settings()
        return settings.advance_amount if self._kind() is FundingKind.ADVANCE else (
            settings.balance_amount
        )

    def _upload_policy(self, slot: str) -> uploads.UploadPolicy | None:
        pieces = {piece.value: piece for piece in self._pieces()}
        return deposit.piece_upload(pieces[slot]) if slot in pieces else None

    def _show_upload(self, slot: str, **shown: str) -> None:
        names = {"name": "file_name", "size": "size", "error": "error"}
        self._update_slot(slot, **{names[key]: value for key, value in shown.items()})

    def _discard_all(self) -> None:
        self._discard_uploads()
        self.slots = _empty_slots(self._kind())

    def _update_slot(self, kind: str, **changes) -> None:
        self.slots = [
            DocumentSlot(**{**slot.__dict__, **changes}) if slot.kind == kind else slot
            for slot in self.slots
        ]

    # -- events -----------------------------------------------------------------

    @guarded(Audience.SUPPLIER)
    async def load(self):
        user = principal()
        self.form_error = ""
        self.confirm_cancel = False
        self.submitting = False

        kind = self._kind()

        def work(session):
            return (
                deposit.supplier_summary(session, user.supplier_id),
                deposit.refusal(session, supplier_id=user.supplier_id, kind=kind),
            )

        summary, refusal = await in_transaction(work)
        self.deposited_number = ""
        if refusal == deposit.already_deposited_message(kind):
            # Once deposited, the menu entry opens the consultation screen.
            self._discard_all()
            return rx.redirect(routes.FUNDING_TRACKING)
        if not self._staged:
            self.slots = _empty_slots(kind)
        self.summary = summary
        self.refusal = refusal or ""
        self.amount = fr_amount(self._amount())
        return None

    @guarded(Audience.SUPPLIER, background=True)
    async def submit(self):
        """« Valider »: the deposit runs outside the tab's state lock (a
        background event), between two short locked updates of the form; its
        receipt is issued after the second (``deposit.issue_receipt``)."""
        user = principal()
        async with self:
            if self.submitting or self.deposited_number:
                return
            self.submitting = True
            staged = dict(self._staged)  # slot names are the pieces' kinds
            kind, amount = self._kind(), self._amount()

        def work():
            with session_scope() as session:
                account = session.get(UserAccount, user.id)
                return deposit.deposit_request(
                    session,
                    kind=kind,
                    supplier_id=user.supplier_id,
                    user_id=user.id,
                    recipient=account.email,
                    documents=staged,
                    store=storage.store_from_settings(),
                    amount=amount,
                    assistance_url=absolute_url(routes.ASSISTANCE),
                    issue_receipt_now=False,  # below, once the supplier is told
                )

        try:
            result = await asyncio.to_thread(work)
        except DepositRefused as exc:
            async with self:
                self.submitting = False
                self.form_error = exc.message
                for piece, message in exc.field_errors.items():
                    self._update_slot(piece, error=message)
                if exc.message == deposit.already_deposited_message(kind):
                    self._discard_all()
            return
        except Exception as exc:  # noqa: BLE001 - database or storage unreachable
            # The deposit is one transaction: it exists whole or not at all, and
            # the staged files are kept until it commits, so « Valider » again
            # either deposits it or (it had committed) opens its tracking page.
            log.warning("deposit failed (%s: %s); the user may retry",
                        type(exc).__name__, str(exc).splitlines()[0][:160] if str(exc) else "")
            async with self:
                self.submitting = False
                self.form_error = DEPOSIT_FAILED
            return
        async with self:
            self._forget_uploads()
            self.slots = _empty_slots(kind)
            self.submitting = False
            self.form_error = ""  # a refusal of an earlier try (store unreachable) is over
            self.deposited_number = result.dossier_number
        # The tab has its dossier number (sent when the block above ended); the
        # receipt is issued now, off the tab's lock (its link issues it on demand
        # if this fails or the process stops first).
        await asyncio.to_thread(_issue_receipt, result)

    @guarded(Audience.SUPPLIER)
    async def ask_cancel(self):
        if self._staged:
            self.confirm_cancel = True
            return None
        return rx.redirect(routes.PRIVATE_HOME)

    @guarded(Audience.SUPPLIER)
    def keep_editing(self):
        self.confirm_cancel = False

    @guarded(Audience.SUPPLIER)
    async def cancel(self):
        self._discard_all()
        self.confirm_cancel = False
        self.form_error = ""
        return rx.redirect(routes.PRIVATE_HOME)


def _issue_receipt(result: deposit.DepositResult) -> None:
    with session_scope() as session:
        deposit.issue_receipt(session, deposited=result, store=storage.store_from_settings())


class AdvanceState(FundingFormMixin, SessionState):
    """« Ma demande d'avance »."""

    def _kind(self) -> FundingKind:
        return FundingKind.ADVANCE


class BalanceState(FundingFormMixin, SessionState):
    """« Ma demande de solde »."""

    def _kind(self) -> FundingKind:
        return FundingKind.BALANCE


class TrackingState(SessionState):
    view: FundingView | None = None
    has_request: bool = False
    balance: FundingView | None = None
    has_balance: bool = False
    summary: SupplierSummary | None = None

    @guarded(Audience.SUPPLIER)
    async def load(self):
        user = principal()

        def work(session):
            return (
                deposit.supplier_summary(session, user.supplier_id),
                views.funding_view(session, supplier_id=user.supplier_id,
                                     kind=FundingKind.ADVANCE),
                views.funding_view(session, supplier_id=user.supplier_id,
                                     kind=FundingKind.BALANCE),
            )

        self.summary, self.view, self.balance = await in_transaction(work)
        self.has_request = self.view is not None
        self.has_balance = self.balance is not None
        return None
