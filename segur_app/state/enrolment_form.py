"""The public enrolment screens: the request form (« Effectuer ma demande
d'enrôlement ») and « Simuler mon fichier json ».

Thin states: every rule lives in ``segur_app.domain`` (enrolment_form,
enrolment, referencing). The form keeps the values typed so far in state
(nothing secret is typed in it); the RIB is the ``"rib"`` slot of
:class:`~segur_app.state.uploads.StagedUploadsMixin` (its storage key stays in
a backend-only var).
"""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.core.db import session_scope
from segur_app.links import absolute_url
from segur_app.domain.dates import fr_amount
from segur_app.domain import anti_abuse, referencing, storage, uploads
from segur_app.domain.enrolment import rules, submission
from segur_app.domain.enrolment.rules import EnrolmentRefused
from segur_app.domain.enrolment.form import (
    COMPANY_FIELDS,
    FIELDS,
    FIELDS_BY_NAME,
    MSG_CGU_REQUIRED,
    MSG_RIB_REQUIRED,
    Step,
    SummarySection,
    empty_values,
    summary,
    validate_all,
    validate_step,
)
from segur_app.domain.referencing import Problem, ReadResult, ReferencingFile
from segur_app.state.base import SessionState, in_transaction, public
from segur_app.state.focus import focus
from segur_app.state.uploads import StagedUploadsMixin, read_upload

STEP_TITLE_ID = "etape-titre"
CONFIRMATION_ID = "confirmation-envoi"
REFUSAL_ID = "refus-enrolement"
ERROR_SUMMARY_ID = "resume-erreurs"
MAX_IMPORT_PROBLEMS = 20
EXTRA_ERROR_KEYS = ("rib", "cgu")

MSG_FIX_ERRORS = "Le formulaire contient des erreurs : corrigez les champs signalés."
MSG_UPLOAD_THROTTLED = (
    "Trop de fichiers ont été envoyés depuis votre poste. Veuillez réessayer plus tard."
)
MSG_IMPORTED = (
    "Les informations de votre fichier json ont été reprises ci-dessous : vérifiez-les "
    "puis passez à l'étape suivante."
)


def _empty_errors() -> dict[str, str]:
    return {**empty_values(), **{key: "" for key in EXTRA_ERROR_KEYS}}


# ---------------------------------------------------------------------------
# « Effectuer ma demande d'enrôlement »
# ---------------------------------------------------------------------------


RIB = "rib"


class EnrolmentFormState(StagedUploadsMixin, SessionState):
    step: int = 1
    values: dict[str, str] = empty_values()
    errors: dict[str, str] = _empty_errors()
    form_errors: list[str] = []
    refusal: str = ""
    form_revision: int = 0
    rib_name: str = ""
    rib_size: str = ""
    import_message: str = ""
    import_problems: list[Problem] = []
    recap: list[SummarySection] = []
    submitting: bool = False
    submitted_number: str = ""
    submitted_email: str = ""

    # Backend only.
    _started_at: float = 0.0

    # -- helpers ----------------------------------------------------------------

    def _upload_policy(self, slot: str) -> uploads.UploadPolicy | None:
        return submission.RIB_UPLOAD if slot == RIB else None

    def _show_upload(self, slot: str, **shown: str) -> None:
        if "name" in shown:
            self.rib_name = shown["name"]
        if "size" in shown:
            self.rib_size = shown["size"]
        if "error" in shown:
            self.errors = {**self.errors, RIB: shown["error"]}

    def _restart(self) -> None:
        self._discard_upload(RIB)
        self.step = 1
        self.values = empty_values()
        self.errors = _empty_errors()
        self.form_errors = []
        self.refusal = self.import_message = ""
        self.import_problems = []
        self.recap = []
        self.submitting = False
        self._started_at = time.time()

    def _show_errors(self, errors: dict[str, str]):
        """Messages next to the fields and in the summary; focus the first field."""
        self.errors = {**_empty_errors(), **errors}
        self.form_errors = [message for message in errors.values() if message]
        if not errors:
            return None
        first = next(iter(errors))
        return focus(f"#champ-{first}" if first in FIELDS_BY_NAME else f"#{ERROR_SUMMARY_ID}")

    def _go_to(self, step: Step):
        """Show ``step`` (the summary only when every step is valid)."""
        if step == Step.SUMMARY:
            full = validate_all(self.values)
            if full.data is None:
                self.step = int(full.first_invalid_step)
                return self._show_errors(full.errors)
            self.recap = summary(full.data)
        self.step = int(step)
        return focus(f"#{STEP_TITLE_ID}")

    def _take(self, form: dict, step: Step) -> None:
        """Keep what was typed in the fields of ``step``."""
        typed = {
            field.name: str(form.get(field.name) or "")[: field.max_length * 2]
            for field in FIELDS
            if field.step == step
        }
        self.values = {**self.values, **typed}

    # -- navigation -------------------------------------------------------------

    @public
    def load(self):
        if self.submitted_number or not self._started_at:
            self.submitted_number = self.submitted_email = ""
            self._restart()
        self.form_errors = []

    @public
    def remember(self, name: str, value: str):
        """A field lost the focus: keep its value (so « Étape précédente » loses nothing)."""
        field = FIELDS_BY_NAME.get(name)
        if field is not None and not self.submitted_number:
            self.values = {**self.values, name: str(value or "")[: field.max_length * 2]}

    @public
    def previous_step(self):
        if 1 < self.step <= Step.SUMMARY:
            self.form_errors = []
            return self._go_to(Step(self.step - 1))
        return None

    @public
    def edit_step(self, step: int):
        """« Modifier » in the summary: back to an earlier step."""
        if 1 <= step < self.step:
            self.form_errors = []
            return self._go_to(Step(step))
        return None

    @public
    async def save_step(self, form: dict):
        """« Étape suivante »: check this step on the server, then move on."""
        if self.submitted_number or not 1 <= self.step < Step.SUMMARY:
            return None
        step = Step(self.step)
        self._take(form, step)
        result = validate_step(step, self.values)
        errors = dict(result.errors)
        if step == Step.BANK and self._staged_upload(RIB) is None:
            errors["rib"] = MSG_RIB_REQUIRED
        self.refusal = ""
        if step == Step.COMPANY and not errors:
            # Said at once rather than after four steps (the database decides at sending).
            duplicates = await in_transaction(lambda s: submission.duplicate_errors(
                s, siret=result.cleaned["siret"], ans_number=result.cleaned["ans_number"]))
            if duplicates:
                return self._refused(
                    EnrolmentRefused(rules.MSG_ONE_ENROLMENT, field_errors=duplicates))
        moved = self._show_errors(errors)
        if errors:
            return moved
        self.values = {**self.values, **result.cleaned}
        self.import_message = ""
        return self._go_to(Step(step + 1))

    # -- files ----------------------------------------------------------------------

    @public
    async def stage_rib(self, files: list[rx.UploadFile]):
        if not files or self.submitted_number:
            return
        address = self._client()["client_address"]
        if not await in_transaction(
            lambda s: submission.register_rib_upload(s, client_address=address)
        ):
            self.errors = {**self.errors, RIB: MSG_UPLOAD_THROTTLED}
            return
        await self._stage_upload(RIB, files)

    @public
    def rib_rejected(self, rejections: list[dict]):
        self._upload_rejected(RIB, rejections)

    @public
    def remove_rib(self):
        self._discard_upload(RIB)

    @public
    async def import_file(self, files: list[rx.UploadFile]):
        """Pre-fill « Entreprise » from the referencing file."""
        upload = await read_upload(files, referencing.JSON_UPLOAD)
        if upload is None or self.step != Step.COMPANY:
            return
        result = await asyncio.to_thread(referencing.read_json_bytes, upload[0],
                                         filename=upload[1])
        if not result.ok:
            self.import_message = ""
            self.import_problems = result.problems[:MAX_IMPORT_PROBLEMS]
            return
        read = result.file
        self.values = {**self.values, **{name: getattr(read, name) for name in COMPANY_FIELDS}}
        self.errors = _empty_errors()
        self.form_errors = []
        self.import_problems = []
        self.import_message = MSG_IMPORTED
        self.form_revision += 1

    @public
    def import_rejected(self, rejections: list[dict]):
        self.import_message = ""
        self.import_problems = [Problem(referencing.ROOT,
                                        referencing.JSON_UPLOAD.browser_refusal(rejections))]

    # -- sending --------------------------------------------------------------------

    @public
    async def send(self, form: dict):
        """« Envoyer ma demande »."""
        if self.submitting or self.submitted_number or self.step != Step.SUMMARY:
            return
        address = self._client()["client_address"]
        honeypot = str(form.get(anti_abuse.HONEYPOT_NAME) or "")
        elapsed = time.time() - self._started_at if self._started_at else None
        if anti_abuse.looks_automated(honeypot=honeypot, elapsed_seconds=elapsed):
            reason = "honeypot" if honeypot.strip() else "too_fast"
            await in_transaction(lambda s: anti_abuse.record_automated_attempt(
                s, client_address=address, reason=reason))
            self.form_errors = [rules.MSG_AUTOMATED]
            yield focus(f"#{ERROR_SUMMARY_ID}")
            return
        if form.get("cgu") not in ("on", True, "true"):
            yield self._show_errors({"cgu": MSG_CGU_REQUIRED})
            return
        full = validate_all(self.values)
        if full.errors:
            self.step = int(full.first_invalid_step)
            yield self._show_errors(full.errors)
            return
        if not await in_transaction(
            lambda s: submission.register_submission_attempt(s, client_address=address)
        ):
            self.form_errors = [rules.MSG_THROTTLED]
            yield focus(f"#{ERROR_SUMMARY_ID}")
            return
        self.submitting = True
        self.form_errors = []
        yield
        try:
            result = await asyncio.to_thread(_submit, full.data, self._staged_upload(RIB),
                                             address)
        except EnrolmentRefused as exc:
            self.submitting = False
            yield self._refused(exc)
            return
        self._forget_uploads()  # the RIB was published
        self._restart()
        self.submitted_number = result.number
        self.submitted_email = result.contact_email
        yield focus(f"#{CONFIRMATION_ID}")

    def _refused(self, exc: EnrolmentRefused):
        """The domain refused the request: say why, where it can be fixed."""
        if exc.message == rules.MSG_ONE_ENROLMENT:
            self.refusal = exc.message
            self._show_errors(exc.field_errors)
            self.form_errors = []
            return focus(f"#{REFUSAL_ID}")
        if RIB in exc.field_errors:
            self._discard_upload(RIB)
            self._show_errors(exc.field_errors)
            return self._go_to(Step.BANK)
        moved = self._show_errors(exc.field_errors)
        self.form_errors = [exc.message]
        return moved or focus(f"#{ERROR_SUMMARY_ID}")


def _submit(data, rib: uploads.StagedDocument | None, address: str | None):
    with session_scope() as session:
        return submission.submit(
            session, data=data, rib=rib, cgu_accepted=True,
            store=storage.store_from_settings(),
            assistance_url=absolute_url(routes.ASSISTANCE),
            client_address=address,
        )


# ---------------------------------------------------------------------------
# « Simuler mon fichier json »
# ---------------------------------------------------------------------------


class JsonSimulationState(SessionState):
    checked: bool = False
    source: str = ""
    problems: list[Problem] = []
    reading: ReferencingFile | None = None
    advance_amount: str = ""
    file_name: str = ""
    file_size: str = ""
    upload_error: str = ""

    def _show(self, result: ReadResult, source: str) -> None:
        self.checked = True
        self.source = source
        self.problems = result.problems
        self.reading = result.file
        self.advance_amount = fr_amount(get_settings().advance_amount)

    @public
    def load(self):
        self.checked = False
        self.problems = []
        self.reading = None
        self.upload_error = self.file_name = self.file_size = ""

    @public
    async def check_file(self, files: list[rx.UploadFile]):
        upload = await read_upload(files, referencing.JSON_UPLOAD)
        if upload is None:
            return
        data, name = upload
        result = await asyncio.to_thread(referencing.read_json_bytes, data, filename=name)
        self.file_name = uploads.safe_display_name(name)
        self.file_size = uploads.format_size(len(data))
        self.upload_error = ""
        self._show(result, f"Fichier « {self.file_name} »")

    @public
    def file_rejected(self, rejections: list[dict]):
        self.upload_error = referencing.JSON_UPLOAD.browser_refusal(rejections)

    @public
    async def check_text(self, form: dict):
        text = str(form.get("json_text") or "")
        result = await asyncio.to_thread(referencing.read_json_text, text)
        self._show(result, "Texte collé")
