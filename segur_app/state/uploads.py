"""Files chosen in a form: checked and staged the moment they are chosen.

Every form with a file field (« Ma demande d'avance / de solde », the
enrolment's RIB, the assistance attachment, the staff's news attachment) mixes
:class:`StagedUploadsMixin` into its state. The mixin keeps what is staged for
each named slot in a backend-only var (storage keys never reach the browser)
and does the work of the slot's handlers: stage (``uploads.stage`` in a worker
thread, the previous file of the slot discarded), remove, the browser's own
refusals (too large, several files), discard on cancel. A discarded file is
removed at once from a local directory, by a worker thread from an object
store (never on the event loop; one left behind is swept once abandoned). The handlers
themselves stay in each state, each with its declared audience
(``@guarded(Audience...)`` / ``@public``), because who may upload differs from
form to form (the supplier's funding forms, which share theirs, do it in
``state/funding.PieceUploadsMixin``).

A state says what each slot accepts (:meth:`_upload_policy`, an
``uploads.UploadPolicy`` from the domain) and how a slot is shown
(:meth:`_show_upload`: its vars differ from form to form).

**Progress.** While a file is sent, ``upload_progress[slot]`` is the
percentage sent (the picker's ``<progress>``): ``upload_begun`` starts it when
the file is chosen, ``upload_progressed`` follows ``rx.upload_files``'
``on_upload_progress``, and it stays at 100 once the server has the file
(removed if the file is refused). Reflex gives no event when the upload
request fails (the browser only logs it), so ``watch_upload`` — a background
task — watches each upload: no progress for ``UPLOAD_STALL_SECONDS`` before
100 % and the file never reached the handler means the connection dropped,
and the slot says so (``UploadPolicy.interrupted``). These three handlers are
``@public``: they only move a display value of the tab's own state, for a
slot the form has.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
import time

import reflex as rx

from segur_app.domain import storage, uploads
from segur_app.state.base import public, public_background

UPLOAD_STALL_SECONDS = 15.0
"""No progress for this long before 100 %: the upload is taken as interrupted."""
UPLOAD_WATCH_SECONDS = 1.0

log = logging.getLogger(__name__)


class StagedUploadsMixin(rx.State, mixin=True):
    """Named slots of staged files for one form (see the module docstring)."""

    # Backend only: slot → the staged file.
    _staged: dict[str, uploads.StagedDocument] = {}
    # Slot → percentage of its file sent (shown while sending; 100 once received).
    upload_progress: dict[str, int] = {}
    # Backend only: slot → monotonic time of the last sign of its upload in flight.
    _upload_seen: dict[str, float] = {}
    # Backend only: the slots a watch_upload task is watching (one task per slot at most).
    _upload_watched: list[str] = []
    _upload_stall_seconds: float = UPLOAD_STALL_SECONDS

    # -- what each form says ----------------------------------------------------

    def _upload_policy(self, slot: str) -> uploads.UploadPolicy | None:
        """What ``slot`` accepts (None: this form has no such slot)."""
        raise NotImplementedError

    def _show_upload(self, slot: str, **shown: str) -> None:
        """Show ``slot`` changed: any of ``name`` (the file's, "" = none),
        ``size`` (« 1,5 Mo ») and ``error`` (the message next to the field)."""
        raise NotImplementedError

    # -- the capability ---------------------------------------------------------

    def _upload_storage(self) -> storage.Store:
        return storage.store_from_settings()

    def _staged_upload(self, slot: str) -> uploads.StagedDocument | None:
        return self._staged.get(slot)

    # -- progress of the file being sent -------------------------------------------

    def _set_progress(self, slot: str, percent: int | None) -> None:
        others = {k: v for k, v in self.upload_progress.items() if k != slot}
        self.upload_progress = others if percent is None else {**others, slot: percent}

    def _upload_arrived(self, slot: str) -> None:
        """The file reached the server: nothing more to watch."""
        self._upload_seen = {k: v for k, v in self._upload_seen.items() if k != slot}

    @public
    def upload_begun(self, slot: str):
        """The browser starts sending ``slot``'s file (first event of the picker's drop)."""
        if self._upload_policy(slot) is None:
            return None
        self._set_progress(slot, 0)
        self._upload_seen = {**self._upload_seen, slot: time.monotonic()}
        self._show_upload(slot, error="")
        return type(self).watch_upload(slot)

    @public
    def upload_progressed(self, slot: str, progress: dict):
        """``on_upload_progress``: ``{"loaded", "total", "progress"}`` (0 to 1)."""
        if slot not in self._upload_seen:
            return
        try:
            fraction = float(progress.get("progress", 0))
        except (TypeError, ValueError):
            return
        percent = max(0, min(100, int(fraction * 100)))
        self._set_progress(slot, percent)
        if percent >= 100:
            self._upload_arrived(slot)  # all sent: what follows is the server's
        else:
            self._upload_seen = {**self._upload_seen, slot: time.monotonic()}

    @public_background
    async def watch_upload(self, slot: str):
        """Say so when ``slot``'s upload stops before the end (connection dropped).

        One task per slot: a second one (a replayed event) returns at once."""
        async with self:
            if slot in self._upload_watched or slot not in self._upload_seen:
                return
            self._upload_watched = [*self._upload_watched, slot]
        try:
            while not await self._upload_stalled(slot):
                await asyncio.sleep(UPLOAD_WATCH_SECONDS)
        finally:
            async with self:
                self._upload_watched = [s for s in self._upload_watched if s != slot]

    async def _upload_stalled(self, slot: str) -> bool:
        """True once the watch of ``slot`` is over (arrived, or told as interrupted)."""
        async with self:
            seen = self._upload_seen.get(slot)
            if seen is None:
                return True
            if time.monotonic() - seen < self._upload_stall_seconds:
                return False
            self._upload_arrived(slot)
            self._set_progress(slot, None)
            policy = self._upload_policy(slot)
            if policy is not None:
                self._show_upload(slot, error=policy.interrupted())
            return True

    # -- staging -------------------------------------------------------------------

    async def _stage_upload(self, slot: str, files: list[rx.UploadFile]) -> bool:
        """Check and stage the first of ``files`` for ``slot`` (replacing the
        slot's previous file); False when nothing was staged (the slot shows why)."""
        policy = self._upload_policy(slot)
        if policy is None or not files:
            return False
        self._upload_arrived(slot)
        upload = files[0]
        try:
            staged = await asyncio.to_thread(
                uploads.stage, upload.file, upload.name or upload.filename or "",
                policy=policy, store=self._upload_storage(),
            )
        except uploads.DocumentRejected as exc:
            self._set_progress(slot, None)
            self._show_upload(slot, error=exc.message)
            return False
        self._discard_upload(slot)
        self._set_progress(slot, 100)
        self._staged = {**self._staged, slot: staged}
        self._show_upload(slot, name=staged.original_name,
                          size=uploads.format_size(staged.size_bytes), error="")
        return True

    def _upload_rejected(self, slot: str, rejections: list[dict]) -> None:
        """The browser refused the file before sending it (too large, several files)."""
        policy = self._upload_policy(slot)
        if policy is not None:
            self._show_upload(slot, error=policy.browser_refusal(rejections))

    def _discard_upload(self, slot: str) -> None:
        """Forget ``slot``'s file and remove it from staging (its message stays)."""
        previous = self._staged.get(slot)
        if previous is not None:
            store = self._upload_storage()
            if isinstance(store, storage.LocalStore):
                _discard(store, previous.key)  # an unlink: instant
            else:  # network I/O never blocks the event loop (nor waits for an outage)
                _DISCARDS.submit(_discard, store, previous.key)
            self._staged = {k: v for k, v in self._staged.items() if k != slot}
        self._set_progress(slot, None)
        self._show_upload(slot, name="", size="")

    def _discard_uploads(self) -> None:
        """Every slot's file removed (the form is cancelled or starts again)."""
        for slot in list(self._staged):
            self._discard_upload(slot)

    def _forget_uploads(self) -> None:
        """The deposit published the staged files: they are no longer ours to discard."""
        self._staged = {}


_DISCARDS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="staging-discard")


def _discard(store: storage.Store, key: str) -> None:
    """Best effort: a staged file left behind is removed by the sweep once abandoned."""
    try:
        storage.discard_staged(key, store=store)
    except OSError:
        log.warning("staged file %s not discarded (left to the sweep)", key, exc_info=True)


async def read_upload(files: list[rx.UploadFile], policy: uploads.UploadPolicy
                      ) -> tuple[bytes, str] | None:
    """The first uploaded file (at most ``policy.max_bytes`` + 1 bytes read) and
    its name, for a file that is read, not stored (the referencing json)."""
    if not files:
        return None
    upload = files[0]
    return await upload.read(policy.max_bytes + 1), upload.name or upload.filename or ""
