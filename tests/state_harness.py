"""Drive Reflex state handlers without a browser.

A :class:`Tab` is one browser tab's state tree (Reflex's root ``State`` with
every substate), with the router data an event from the websocket would
carry: the page path and query, the client address and the
``Authorization: SegurSession <key>`` header that
``api.session.SessionHandshake`` derives from the session cookie.

``await tab.run(StateClass.handler, *args)`` runs the handler the way Reflex
does (through the ``TabBinding`` middleware first), and returns the list of
what it returned or yielded (``None`` entries dropped); anything but events
is a ``TypeError``, as in Reflex.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import io
import json
from urllib.parse import parse_qsl, urlencode, urlsplit
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import reflex as rx
from reflex.event import Event, EventHandler, EventSpec
from argon2 import PasswordHasher, Type
from reflex.state import State
from sqlmodel import select

from segur_app.core import db as core_db
from segur_app.core import security
from segur_app.core.config import get_settings
from segur_app.core.security import hash_password, session_key
from segur_app.domain import demo
from segur_app.domain.funding import deposit as funding_deposit
from segur_app.domain.models import (
    Attachment,
    BankDetails,
    Enrolment,
    EnrolmentStatus,
    FundingKind,
    Role,
    Supplier,
    UserAccount,
)
from segur_app.domain.passwords import normalise_secret_answer
from segur_app.core.session import AUTH_SCHEME
from segur_app.state.binding import TabBinding
from segur_app.domain.accounts import sessions


class Tab:
    def __init__(self, *, token: str | None = None, path: str = "/",
                 query: dict[str, str] | None = None, tab_token: str = "tab-test") -> None:
        self.root = State(_reflex_internal_init=True)
        self.tab_token = tab_token
        self.navigate(path, query or {}, token=token)

    def navigate(self, path: str, query: dict[str, str] | None = None, *,
                 token: str | None = None, keep_cookie: bool = True) -> None:
        """Point the tab at ``path`` (and, unless ``keep_cookie``, a new cookie)."""
        if not keep_cookie or not hasattr(self, "_token"):
            self._token = token
        headers = {"user-agent": "harness", "host": "localhost",
                   "origin": "http://localhost:3000"}
        if self._token:
            headers["authorization"] = f"{AUTH_SCHEME} {session_key(self._token)}"
        router_data = {
            "pathname": path, "asPath": path + (f"?{urlencode(query)}" if query else ""),
            "query": dict(query or {}),
            "headers": headers, "ip": "203.0.113.5", "token": self.tab_token, "sid": "sid-1",
        }
        previous = self.root.router_data or {}
        self.root.router_data = self.root._update_router_vars(router_data, previous)

    def follow(self, href: str) -> None:
        """Open a link or redirect target (``/path?a=1``) in this tab."""
        parts = urlsplit(href)
        self.navigate(parts.path, dict(parse_qsl(parts.query)))

    def set_cookie(self, token: str | None) -> None:
        self.navigate(self.root.router_data["pathname"],
                      self.root.router_data.get("query"), token=token, keep_cookie=False)

    async def state(self, cls):
        return await self.root.get_state(cls)

    async def run(self, handler, *args, **kwargs) -> list[Any]:
        """Run an event handler (e.g. ``DossierState.load``) as Reflex would."""
        await TabBinding().preprocess(app=None, state=self.root, event=None)
        cls = handler.state
        substate = await self.root.get_state(cls)
        result = handler.fn(substate, *args, **kwargs)
        outputs: list[Any] = []
        if inspect.isasyncgen(result):
            async for item in result:
                outputs.append(item)
        elif inspect.isawaitable(result):
            outputs.append(await result)
        else:
            outputs.append(result)
        flat = []
        for item in outputs:
            flat.extend(item if isinstance(item, list) else [item])
        flat = [item for item in flat if item is not None]
        for item in flat:  # what Reflex itself refuses at run time (a TypeError and a toast)
            if not isinstance(item, (Event, EventHandler, EventSpec)):
                raise TypeError(f"{handler.fn.__qualname__} returned {item!r}: a handler may "
                                "only return or yield events")
        return flat


def scenario(test):
    """Write a test as ``async def`` (fixtures as usual); it runs in its own loop."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


def upload(data: bytes, name: str) -> rx.UploadFile:
    """One file as Reflex hands it to an upload handler (``files: list[rx.UploadFile]``)."""
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name))


def point_app_at(monkeypatch, engine, storage_dir: Path) -> None:
    """The states use the test database and storage; passwords are hashed
    with a cheap Argon2id (the real parameters cost ~40 ms a hash)."""
    monkeypatch.setattr(core_db, "get_engine", lambda: engine)
    monkeypatch.setenv("SEGUR_STORAGE_DIR", str(storage_dir))
    monkeypatch.setattr(security, "_hasher", PasswordHasher(
        time_cost=1, memory_cost=8, parallelism=1, type=Type.ID))
    get_settings.cache_clear()


def fresh(db) -> None:
    """Make the test's session see what the handlers committed: end its
    transaction and forget the rows it loaded (a rollback alone does not
    expire them when no transaction was open)."""
    db.rollback()
    db.expire_all()


def redirect_target(outputs: list[Any]) -> str | None:
    """The path of the first ``rx.redirect`` among a handler's outputs."""
    for item in outputs:
        handler = getattr(item, "handler", None)
        if handler is not None and getattr(handler.fn, "__qualname__", "").endswith("redirect"):
            for name, value in item.args:
                if getattr(name, "_js_expr", "") == "path":
                    return getattr(value, "_var_value", None)
    return None


def tab_text(tab: Tab) -> str:
    """Everything the tab's state tree holds for the browser, as text — but the
    router fields, which echo the URL the browser itself is on."""

    def strip(tree):
        return {key: strip(value) if isinstance(value, dict) else value
                for key, value in tree.items()
                if not key.startswith(("rx_router", "router_data"))}

    return json.dumps(strip(tab.root.dict()), default=str, ensure_ascii=False)


# --- people and data ----------------------------------------------------------


@dataclass(frozen=True)
class People:
    """Sessions (raw cookie tokens) of each kind of visitor, and some data."""

    staff: str
    owner: str            # the demo supplier LE SELECT, first login done
    other: str            # a supplier of another company
    first_login: str      # a LE SELECT user who has not changed the temporary password
    dossier_number: str   # LE SELECT's advance request
    attachment_id: int    # one of its pieces
    iban: str


def _finish_first_login(db, user: UserAccount) -> None:
    user.must_change_password = False
    user.temp_password_expires_at = None
    user.secret_question = "Ville de naissance ?"
    user.secret_answer_hash = hash_password(normalise_secret_answer("Paris"))
    db.add(user)


def seed_people(db, storage_dir: Path, *, deposit: bool = True) -> People:
    """The demo data, a deposited advance (unless ``deposit=False``: then
    ``dossier_number`` is "" and ``attachment_id`` 0), four logged-in visitors."""
    from tests.test_funding import stage_all

    summary = demo.load_demo_data(db, store=storage_dir, env="test")
    staff = db.get(UserAccount, summary.staff_id)
    owner = db.get(UserAccount, summary.supplier_user_id)
    for user in (staff, owner):
        _finish_first_login(db, user)
    other_company = Supplier(ans_number="tndSAS0099", siret="73282932000074",
                             company_name="AUTRE EDITEUR", street="1 rue de Rivoli",
                             postal_code="75001", city="PARIS")
    db.add(other_company)
    db.flush()
    other = UserAccount(identifiant="autre.editeur", email="contact@autre.example",
                        first_name="Paul", last_name="AUTRE", role=Role.SUPPLIER.value,
                        supplier_id=other_company.id, password_hash=hash_password("x"))
    newcomer = UserAccount(identifiant="nouveau.select", email="nouveau@le-select.example",
                           first_name="Léa", last_name="NOUVEAU", role=Role.SUPPLIER.value,
                           supplier_id=summary.supplier_id, password_hash=hash_password("x"),
                           must_change_password=True)
    _finish_first_login(db, other)
    db.add_all([other, newcomer])
    db.commit()
    number, attachment_id = "", 0
    if deposit:
        number = funding_deposit.deposit_request(
            db, kind=FundingKind.ADVANCE, supplier_id=summary.supplier_id, user_id=owner.id,
            recipient=owner.email,
            documents=stage_all(storage_dir), store=storage_dir, amount=30000,
            assistance_url="https://portail.example/contacter-assistance",
        ).dossier_number
        attachment_id = db.exec(
            select(Attachment.id).where(Attachment.funding_request_id.is_not(None))
        ).first()
    tokens = {user.identifiant: sessions.open_session(db, user=user)
              for user in (staff, owner, other, newcomer)}
    bank = db.exec(select(BankDetails)).first()
    db.commit()
    return People(
        staff=tokens[staff.identifiant], owner=tokens[owner.identifiant],
        other=tokens[other.identifiant], first_login=tokens[newcomer.identifiant],
        dossier_number=number, attachment_id=attachment_id, iban=bank.iban,
    )


def enrol_supplier(db, supplier_id: int) -> None:
    """Give ``supplier_id`` a validated enrolment and bank details (it may deposit),
    copied from the demo supplier's."""
    template = db.exec(select(Enrolment)).first()
    bank = db.exec(select(BankDetails)).first()
    copy = {k: v for k, v in template.model_dump().items() if k != "id"}
    db.add(Enrolment(**{**copy, "supplier_id": supplier_id, "number": "ENRSAS999999",
                        "status": EnrolmentStatus.VALIDATED.value}))
    db.add(BankDetails(**{**{k: v for k, v in bank.model_dump().items() if k != "id"},
                          "supplier_id": supplier_id}))
    db.commit()
