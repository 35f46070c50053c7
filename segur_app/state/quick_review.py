"""The instruction screen's one-action controls (mixed into ``DossierState``).

A radio button records a control or a piece decision as soon as it is chosen
(comments and reasons typed beforehand are kept as drafts), « Tout est
conforme » settles a whole block after a confirmation, and « Annuler » puts
back what the last change replaced (``quick_review.restore``, under the
dossier's lock like every change). The previews render the email the supplier
would receive, without queuing anything.
"""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.domain.funding import correction_mails, instruction, quick_review
from segur_app.domain.access import Audience
from segur_app.domain.models import ControlStatus, CorrectionReason, ReviewStatus
from segur_app.domain.funding.quick_review import BLOCK_TITLES, Previous
from segur_app.links import absolute_url
from segur_app.state.base import guarded, in_transaction

MSG_UNDONE = "La dernière modification a été annulée."


class QuickReviewMixin(rx.State, mixin=True):
    """Vars and handlers of the one-action controls; ``DossierState`` provides
    ``_request_id``, ``_version``, ``detail`` and ``_apply`` (run, then reload)."""

    undo_label: str = ""       # what « Annuler » would undo ("" = nothing)
    confirm_block: str = ""    # the block whose « Tout est conforme » awaits confirmation
    confirm_title: str = ""
    preview_title: str = ""    # "" = no preview shown
    preview_place: str = ""    # "decision" or "corrections": where it is shown
    preview_subject: str = ""
    preview_body: str = ""

    _undo: Previous | None = None
    _drafts: dict[str, str] = {}

    def _draft(self, key: str, default: str = "") -> str:
        return self._drafts.get(key, default)

    def _keep_undo(self, previous: Previous | None, label: str) -> None:
        self._undo = previous if previous is not None and not previous.empty else None
        self.undo_label = label if self._undo is not None else ""

    async def _previous(self, **where) -> Previous:
        request_id = self._request_id
        if request_id is None:
            return Previous()
        return await in_transaction(
            lambda s: quick_review.previous_of(s, request_id=request_id, **where))

    # -- drafts -------------------------------------------------------------------

    @guarded(Audience.STAFF)
    def keep_draft(self, key: str, value: str):
        """A comment or reason typed before choosing the decision it goes with."""
        if len(self._drafts) < 50:
            self._drafts = {**self._drafts, key[:40]: value[:2000]}
        else:
            self._drafts = {key[:40]: value[:2000]}

    # -- one action each ------------------------------------------------------------

    @guarded(Audience.STAFF)
    async def choose_control(self, block: str, decision: str):
        if block not in instruction.BLOCKS or decision not in ControlStatus.values():
            self.error = "Choisissez une décision de contrôle."
            return None
        request_id, version = self._request_id, self._version
        comment = self._draft(f"control-{block}")
        previous = await self._previous(block=block)
        title = instruction.BLOCKS[block]
        done = await self._apply(
            lambda s, staff_id: instruction.set_block_control(
                s, request_id=request_id, block=block, decision=decision, comment=comment,
                staff_id=staff_id, expected_version=version),
            f"Contrôle « {title} » enregistré : {ControlStatus(decision).label}.")
        if done is not None:
            self._keep_undo(previous, f"le contrôle « {title} »")
        return None

    async def _review(self, attachment_id: int, decision: str, reason: str):
        version = self._version
        comment = self._draft(f"comment-{attachment_id}")
        previous = await self._previous(attachment_id=attachment_id)
        shown = next((a for a in (self.detail.attachments if self.detail else [])
                      if a.id == attachment_id), None)
        if shown is None:
            self.error = instruction.MSG_NOT_FOUND
            return
        if decision == ReviewStatus.NON_COMPLIANT.value and not comment:
            comment = shown.comment
        if decision != ReviewStatus.NON_COMPLIANT.value:
            reason = ""
        done = await self._apply(
            lambda s, staff_id: instruction.review_attachment(
                s, attachment_id=attachment_id, decision=decision, comment=comment,
                reason=reason, staff_id=staff_id, expected_version=version),
            f"« {shown.kind_label} » : {ReviewStatus(decision).label}.")
        if done is not None:
            self._keep_undo(previous, f"la décision sur « {shown.kind_label} »")

    @guarded(Audience.STAFF)
    async def choose_review(self, attachment_id: int, decision: str):
        if decision not in ReviewStatus.values():
            self.error = "Choisissez une décision pour la pièce."
            return None
        reason = self._draft(f"reason-{attachment_id}")
        if reason not in CorrectionReason.values():
            reason = ""
        await self._review(attachment_id, decision, reason)
        return None

    @guarded(Audience.STAFF)
    async def choose_reason(self, attachment_id: int, reason: str):
        """The reason of a piece: a draft, saved at once if the piece is « Non conforme »."""
        if reason and reason not in CorrectionReason.values():
            self.error = "Choisissez un motif dans la liste."
            return None
        self._drafts = {**self._drafts, f"reason-{attachment_id}": reason}
        shown = next((a for a in (self.detail.attachments if self.detail else [])
                      if a.id == attachment_id), None)
        if reason and shown is not None and shown.review_status == ReviewStatus.NON_COMPLIANT.value:
            await self._review(attachment_id, ReviewStatus.NON_COMPLIANT.value, reason)
        return None

    # -- « Tout est conforme » and « Annuler » -----------------------------------------

    @guarded(Audience.STAFF)
    def ask_all_compliant(self, block: str):
        if block in BLOCK_TITLES:
            self.confirm_block, self.confirm_title = block, BLOCK_TITLES[block]

    @guarded(Audience.STAFF)
    def cancel_all_compliant(self):
        self.confirm_block = self.confirm_title = ""

    @guarded(Audience.STAFF)
    async def confirm_all_compliant(self):
        block, title = self.confirm_block, self.confirm_title
        self.confirm_block = self.confirm_title = ""
        if block not in BLOCK_TITLES:
            return None
        request_id, version = self._request_id, self._version
        done = await self._apply(
            lambda s, staff_id: quick_review.all_compliant(
                s, request_id=request_id, block=block, staff_id=staff_id,
                expected_version=version),
            f"Bloc « {title} » : tout est conforme.")
        if done is not None:
            self._keep_undo(done[1], f"« Tout est conforme » du bloc « {title} »")
        return None

    @guarded(Audience.STAFF)
    async def undo(self):
        previous, request_id, version = self._undo, self._request_id, self._version
        if previous is None:
            self.undo_label = ""
            return None
        await self._apply(
            lambda s, staff_id: quick_review.restore(
                s, request_id=request_id, previous=previous, staff_id=staff_id,
                expected_version=version),
            MSG_UNDONE)
        self._keep_undo(None, "")
        return None

    # -- previews ---------------------------------------------------------------------

    @guarded(Audience.STAFF)
    async def preview_decision(self, validate: bool):
        request_id, reason = self._request_id, self._draft("reject-reason")
        if request_id is None:
            return None
        assistance = absolute_url(routes.ASSISTANCE)
        content = await in_transaction(lambda s: quick_review.decision_preview(
            s, request_id=request_id, validate=validate, reason=reason,
            assistance_url=assistance))
        title = "Aperçu du courriel de validation" if validate else (
            "Aperçu du courriel de rejet")
        self._show_preview(title, content, "decision")
        return None

    @guarded(Audience.STAFF)
    async def preview_corrections(self):
        request_id, message = self._request_id, self._draft("corrections-message")
        if request_id is None:
            return None
        tracking, assistance = (absolute_url(routes.FUNDING_TRACKING),
                                absolute_url(routes.ASSISTANCE))
        content = await in_transaction(lambda s: correction_mails.request_email_preview(
            s, request_id=request_id, message=message, tracking_url=tracking,
            assistance_url=assistance))
        self._show_preview("Aperçu du courriel de demande de compléments", content,
                           "corrections")
        return None

    def _show_preview(self, title: str, content, place: str) -> None:
        if content is None:
            self.preview_title = self.preview_subject = self.preview_body = ""
            return
        self.preview_title, self.preview_subject, self.preview_body = (
            title, content.subject, content.text)
        self.preview_place = place

    @guarded(Audience.STAFF)
    def close_preview(self):
        self.preview_title = self.preview_subject = self.preview_body = ""
