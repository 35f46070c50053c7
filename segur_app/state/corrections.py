"""« Suivi de ma demande de financement »: the supplier answers a « Demande de compléments ».

One slot of :class:`StagedUploadsMixin` per piece asked for (named by its
kind), checked and staged when chosen like the deposit's (the same handlers,
``funding.PieceUploadsMixin``); « Envoyer les
compléments » hands them to ``corrections.send_corrections`` with the version
of the dossier the screen showed (an agent's change meanwhile is a conflict).
"""

from __future__ import annotations

import asyncio

from segur_app import routes
from segur_app.core.db import session_scope
from segur_app.domain import storage, uploads
from segur_app.domain.access import Audience
from segur_app.domain.funding import corrections, deposit
from segur_app.domain.funding.corrections import CorrectionRefused, SupplierCorrection
from segur_app.domain.funding.instruction import InstructionError
from segur_app.domain.models import AttachmentKind, FundingKind
from segur_app.links import absolute_url
from segur_app.state.base import SessionState, guarded, in_transaction, principal
from segur_app.state.funding import PieceUploadsMixin, TrackingState

MSG_SENT = (
    "Vos compléments ont bien été envoyés à l'ASP. Votre demande est de nouveau en cours "
    "d'instruction."
)

MSG_CHANGED = (
    "Votre dossier vient d'être modifié par l'ASP : vos compléments n'ont pas été envoyés. "
    "Vérifiez sa situation ci-dessous."
)


def piece_kinds() -> tuple[AttachmentKind, ...]:
    """Every kind a funding request may ask again (advance and balance pieces)."""
    kinds = deposit.required_documents(FundingKind.ADVANCE) + deposit.required_documents(
        FundingKind.BALANCE)
    return tuple(dict.fromkeys(kinds))


def _blank() -> dict[str, str]:
    return {kind.value: "" for kind in piece_kinds()}


class CorrectionFormState(PieceUploadsMixin, SessionState):
    """The open correction request of the supplier's dossier, and its answer form."""

    correction: SupplierCorrection | None = None
    has_open: bool = False
    asked: list[str] = []           # kinds of the pieces to replace
    file_names: dict[str, str] = _blank()
    sizes: dict[str, str] = _blank()
    errors: dict[str, str] = _blank()
    sent_message: str = ""
    submitting: bool = False

    _request_id: int | None = None
    _version: int = 0

    # -- PieceUploadsMixin (StagedUploadsMixin) ------------------------------------

    def _upload_policy(self, slot: str) -> uploads.UploadPolicy | None:
        if slot not in self.asked:
            return None
        return deposit.piece_upload(AttachmentKind(slot))

    def _show_upload(self, slot: str, **shown: str) -> None:
        for key, var in (("name", "file_names"), ("size", "sizes"), ("error", "errors")):
            if key in shown:
                setattr(self, var, {**getattr(self, var), slot: shown[key]})

    # -- events -------------------------------------------------------------------

    async def _reload(self) -> None:
        user = principal()
        found = await in_transaction(
            lambda s: corrections.supplier_correction(s, supplier_id=user.supplier_id))
        self.correction, self.has_open = found, found is not None
        if found is None:
            self._discard_uploads()
            self._request_id, self._version, self.asked = None, 0, []
            return
        if found.funding_request_id != self._request_id or found.version != self._version:
            self._discard_uploads()
            self.file_names, self.sizes, self.errors = _blank(), _blank(), _blank()
        self._request_id, self._version = found.funding_request_id, found.version
        self.asked = [piece.kind for piece in found.view.pieces if piece.new_id == 0]

    @guarded(Audience.SUPPLIER)
    async def load(self):
        self.form_error, self.submitting = "", False
        await self._reload()
        if self.has_open:
            self.sent_message = ""
        return None

    @guarded(Audience.SUPPLIER)
    async def send(self, form: dict):
        """« Envoyer les compléments »."""
        user = principal()
        if self.submitting or not self.has_open or self._request_id is None:
            return
        self.submitting = True
        yield
        comment = str(form.get("comment", "") or "")[:2000]
        staged = {kind: doc for kind, doc in self._staged.items() if kind in self.asked}
        request_id, version = self._request_id, self._version
        store = storage.store_from_settings()
        number = self.correction.dossier_number if self.correction else ""
        dossier_url = absolute_url(routes.STAFF_FUNDING_REQUEST, **{routes.PARAM_NUMBER: number})

        def work():
            with session_scope() as session:
                return corrections.send_corrections(
                    session, supplier_id=user.supplier_id, user_id=user.id,
                    request_id=request_id, expected_version=version, documents=staged,
                    store=store, comment=comment, dossier_url=dossier_url)

        try:
            await asyncio.to_thread(work)
        except CorrectionRefused as exc:
            self.submitting = False
            self.form_error = exc.message
            for kind, message in exc.field_errors.items():
                self._show_upload(kind, error=message)
            return
        except InstructionError:  # the ASP changed the dossier meanwhile
            self.submitting = False
            await self._reload()
            self.form_error = MSG_CHANGED
            yield TrackingState.load
            return
        self._forget_uploads()
        self.file_names, self.sizes, self.errors = _blank(), _blank(), _blank()
        self.submitting = False
        self.sent_message = MSG_SENT
        await self._reload()
        yield TrackingState.load
