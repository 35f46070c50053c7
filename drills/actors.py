"""Scripted users of the drills: suppliers who deposit, an agent who decides.

They act like a browser tab (``bench/_harness.ReflexClient``: the websocket
with the session cookie in its handshake, real ``POST /_upload`` requests)
and like a person when something fails: they read the message, wait a
little, reload the page (a new websocket with the same tab token, or a new
tab) and try again — logging in again if the portal sent them to the login
page. What each one finally obtained is its :class:`Outcome`, which
``checks.py`` compares with the database, the storage and the SMTP server.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

import _harness as h  # noqa: E402
from deposit import _slot_error, upload  # noqa: E402

from segur_app.domain import pdf  # noqa: E402
from segur_app.domain.funding.deposit import ADVANCE_DOCUMENTS  # noqa: E402
from tests.document_samples import valid_jpeg, valid_png  # noqa: E402

ADVANCE_PAGE = "/demande-financement/avance"
DOSSIER_PAGE = "/instruction/demandes-financement/dossier"
DOSSIER_STATE = f"{h.SESSION_STATE}.segur_app___state___instruction____dossier_state"
UNAVAILABLE = "Le portail est momentan"  # the toast carries "momentan\\u00e9ment" (JS source)
INCIDENT = "incident technique"
ALREADY = "déjà"
RETRYABLE = (RuntimeError, httpx.HTTPError, OSError, TimeoutError, asyncio.TimeoutError,
             KeyError, ValueError)  # h.ReflexError and h.login's refusals are RuntimeErrors


def sample_files(tag: str, n: int) -> list[tuple[str, str, bytes, str]]:
    """The three advance pieces, small, different for every supplier."""
    text = f"BT /F1 12 Tf 72 720 Td (PV de mise en service {tag}) Tj ET".encode()
    document = pdf.assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
    ])
    files = [("pv.pdf", document, "application/pdf"),
             ("attestation.png", valid_png(3 + n % 200, 2 + n // 200 % 50), "image/png"),
             ("justificatif.jpg", valid_jpeg(8 + 8 * (n % 60), 8), "image/jpeg")]
    return [(kind.value, name, data, mime)
            for kind, (name, data, mime) in zip(ADVANCE_DOCUMENTS, files, strict=True)]


@dataclass
class Outcome:
    identifiant: str
    number: str | None = None  # the dossier number the page showed
    confirmed_later: bool = False  # « Valider » failed, the retry found it deposited
    sha256: dict[str, str] = field(default_factory=dict)  # piece kind -> sent bytes
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    saw_unavailable: bool = False
    seconds: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.number is not None or self.confirmed_later


def _texts(update: dict) -> str:
    return json.dumps(update, ensure_ascii=False)


def _redirected(update: dict) -> str | None:
    for event in update.get("events") or []:
        if event.get("name") == "_redirect":
            return str((event.get("payload") or {}).get("path", ""))
    return None


class Tab:
    """A logged-in tab on one page that reconnects (same tab token) when needed."""

    def __init__(self, portal, identifiant: str, password: str, page: str) -> None:
        self.portal, self.identifiant, self.password, self.page = portal, identifiant, password, page
        self.cookie: str | None = None
        self.token = str(uuid.uuid4())
        self.client: h.ReflexClient | None = None
        self.saw_unavailable = False

    async def open(self, settle: str | None) -> None:
        if self.cookie is None:
            self.cookie = await h.login(self.portal, self.identifiant, self.password)
        await self.close()
        self.client = h.ReflexClient(self.portal, cookie=self.cookie, page=self.page,
                                     token=self.token)
        await self.client.connect(timeout=20)
        await self.client.settle(settle, timeout=30)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None

    def new_tab(self) -> None:
        """Reload as a new tab (what a user does after « rechargez la page »)."""
        self.token = str(uuid.uuid4())

    async def next_update(self, timeout: float) -> dict:
        update = await self.client.wait_for_any(timeout=timeout)
        text = _texts(update)
        if UNAVAILABLE in text:
            self.saw_unavailable = True
            raise h.ReflexError("portal unavailable (Redis)")
        target = _redirected(update)
        if target and "connexion" in target:
            self.cookie = None
            raise h.ReflexError("sent to the login page")
        return update


class Supplier:
    def __init__(self, portal, identifiant: str, n: int, *, already_deposited) -> None:
        self.tab = Tab(portal, identifiant, h.PASSWORD, ADVANCE_PAGE)
        self.files = sample_files(identifiant, n)
        self.outcome = Outcome(identifiant, sha256={
            kind: hashlib.sha256(data).hexdigest() for kind, _n, data, _m in self.files})
        self.already_deposited = already_deposited  # what the tracking page would show

    async def deposit(self, *, deadline: float) -> Outcome:
        out, started = self.outcome, time.monotonic()
        while time.monotonic() < deadline:
            out.attempts += 1
            try:
                if out.attempts > 1 and await asyncio.to_thread(
                        self.already_deposited, out.identifiant):
                    out.confirmed_later = True  # the page now opens its tracking
                    break
                await self.tab.open(h.ADVANCE_STATE)
                await self._upload_and_submit()
                break
            except RETRYABLE as exc:
                out.errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
                await self.tab.close()
                if len(out.errors) % 3 == 0:
                    self.tab.new_tab()
                await asyncio.sleep(min(0.5 * out.attempts, 3))
        await self.tab.close()
        out.saw_unavailable = self.tab.saw_unavailable
        out.seconds = time.monotonic() - started
        return out

    async def _upload_and_submit(self) -> None:
        client = self.tab.client
        async with httpx.AsyncClient(base_url=self.tab.portal.base_url, timeout=30) as http:
            for kind, name, data, mime in self.files:
                try:
                    updates = await upload(http, client, h.ADVANCE_STATE + ".stage_file",
                                           name, data, mime, {"kind": kind})
                except h.ReflexError as exc:
                    if "503" in str(exc):
                        self.tab.saw_unavailable = True
                    raise
                if (error := _slot_error(updates, kind)) is not None:
                    raise h.ReflexError(f"{name} refused: {error}")
        await self._upload_and_submit_staged()

    #: How many users are waiting for the answer to « Valider » right now.
    submitting = 0

    async def _upload_and_submit_staged(self) -> None:
        """« Valider » with the files already chosen in this tab's form."""
        Supplier.submitting += 1
        try:
            await self._submit()
        finally:
            Supplier.submitting -= 1

    async def _submit(self) -> None:
        self.tab.client.emit(h.ADVANCE_STATE + ".submit")
        while True:
            update = await self.tab.next_update(timeout=60)
            state = (update.get("delta") or {}).get(h.ADVANCE_STATE) or {}
            if error := state.get("form_error_rx_state_"):
                if ALREADY in error:
                    self.outcome.confirmed_later = True
                    return
                raise h.ReflexError(f"deposit refused: {error}")
            if number := state.get("deposited_number_rx_state_"):
                self.outcome.number = number
                return


@dataclass
class Decision:
    number: str
    done: bool = False
    attempts: int = 0
    errors: list[str] = field(default_factory=list)


class Agent:
    """An ASP agent rejecting dossiers (a decision needs no control first)."""

    def __init__(self, portal, identifiant: str, password: str) -> None:
        self.tab = Tab(portal, identifiant, password, DOSSIER_PAGE)

    async def reject(self, number: str, *, deadline: float) -> Decision:
        decision = Decision(number)
        self.tab.page = f"{DOSSIER_PAGE}?numero={number}"
        while time.monotonic() < deadline:
            decision.attempts += 1
            try:
                await self.tab.open(DOSSIER_STATE)
                self.tab.client.emit(DOSSIER_STATE + ".reject",
                                     {"form": {"reason": "Pièces illisibles (exercice)"}})
                while True:
                    update = await self.tab.next_update(timeout=60)
                    state = (update.get("delta") or {}).get(DOSSIER_STATE) or {}
                    message = state.get("message_rx_state_") or ""
                    error = state.get("error_rx_state_") or ""
                    if "rejetée" in message or ALREADY in error:
                        decision.done = True
                        break
                    if error:
                        raise h.ReflexError(error)
                break
            except RETRYABLE as exc:
                decision.errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
                await self.tab.close()
                await asyncio.sleep(min(0.5 * decision.attempts, 3))
        await self.tab.close()
        return decision
