"""The one access policy: who may run a handler or open a private route.

Every state handler (through ``segur_app.state.base.guarded``) and every
private HTTP route (``segur_app.api.session``) calls :func:`authorise` with the
*session key* the request presented and the *audience* the handler declared.

The session key is the SHA-256 of the random token held in the browser's
HttpOnly cookie (``core.security.hash_token``): it is what the database
stores, so a key alone is useless to log in with. The websocket never sees
the raw token (``api.session.SessionHandshake`` hashes it at the handshake).

Outcomes, in the order they are checked:

* ``ANONYMOUS``: no key was presented;
* ``EXPIRED``: a key was presented but its session is unknown, revoked, idle
  for too long, too old, or its account is disabled — the caller must wipe
  the tab (nothing of the previous user may stay in it);
* ``UNFINISHED``: the first login (password change, secret question) is not
  done and the audience is not that step;
* ``FORBIDDEN``: the role does not match the audience (audited);
* ``ALLOWED``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from segur_app.domain import session_cache
from segur_app.domain.dates import as_utc
from segur_app.domain.models import Role, UserAccount, UserSession, utcnow
from segur_app.domain.accounts import events, first_login, sessions


class Audience(StrEnum):
    """Who a handler or route is for."""

    PUBLIC = "public"                      # anyone, logged in or not
    USER = "user"                          # any user who finished the first login
    SUPPLIER = "supplier"                  # suppliers only
    STAFF = "staff"                        # ASP staff only
    PASSWORD_CHANGE = "change_password"    # first login, step 1
    SECRET_QUESTION = "secret_question"    # first login, step 2


# The first-login step each audience accepts (first_login.next_step values).
_STEP_OF = {
    Audience.PASSWORD_CHANGE: first_login.STEP_CHANGE_PASSWORD,
    Audience.SECRET_QUESTION: first_login.STEP_SECRET_QUESTION,
}


# The attribute by which a state handler or an HTTP endpoint declares its audience
# (``state.base.guarded`` / ``public``, ``api.session.guarded_route``).
AUDIENCE_ATTRIBUTE = "segur_audience"


def declared_audience(fn) -> Audience | None:
    return getattr(fn, AUDIENCE_ATTRIBUTE, None)


class Outcome(StrEnum):
    ALLOWED = "allowed"
    ANONYMOUS = "anonymous"
    EXPIRED = "expired"
    UNFINISHED = "unfinished"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class Principal:
    """A detached snapshot of the logged-in user, safe to keep in handlers."""

    id: int
    session_id: int
    identifiant: str
    display_name: str
    role: str
    supplier_id: int | None
    next_step: str

    @property
    def is_staff(self) -> bool:
        return self.role == Role.STAFF.value


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    principal: Principal | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED


def live_session(
    session: Session, session_key: str | None, *, now: datetime | None = None
) -> tuple[UserSession, UserAccount] | None:
    """The live session row and its user for ``session_key`` (one joined query).

    Refreshes the idle timer at most once per ``SESSION_TOUCH_INTERVAL``; the
    caller commits.
    """
    if not session_key or len(session_key) != 64:
        return None
    now = now or utcnow()
    found = session.exec(
        select(UserSession, UserAccount)
        .join(UserAccount, UserAccount.id == UserSession.user_id)
        .where(UserSession.token_hash == session_key)
    ).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or not user.is_active:
        return None
    last_seen = as_utc(row.last_seen_at)
    if as_utc(row.expires_at) <= now or last_seen + sessions.SESSION_IDLE_TIMEOUT <= now:
        return None
    if now - last_seen >= sessions.SESSION_TOUCH_INTERVAL:
        row.last_seen_at = now
        session.add(row)
    return row, user


def principal_of(row: UserSession, user: UserAccount) -> Principal:
    return Principal(
        id=user.id,
        session_id=row.id,
        identifiant=user.identifiant,
        display_name=user.display_name,
        role=user.role,
        supplier_id=user.supplier_id,
        next_step=first_login.next_step(user),
    )


def _judge(principal: Principal | None, audience: Audience, *, expired: bool) -> Decision:
    """The decision for a resolved principal (or none), before any audit."""
    if principal is None:
        if audience is Audience.PUBLIC:
            return Decision(Outcome.ALLOWED)
        return Decision(Outcome.EXPIRED if expired else Outcome.ANONYMOUS)
    if audience is Audience.PUBLIC:
        return Decision(Outcome.ALLOWED, principal)
    if principal.next_step != _STEP_OF.get(audience, first_login.STEP_HOME):
        return Decision(Outcome.UNFINISHED, principal)
    if (audience is Audience.STAFF and not principal.is_staff) or (
        audience is Audience.SUPPLIER and principal.is_staff
    ):
        return Decision(Outcome.FORBIDDEN, principal)
    return Decision(Outcome.ALLOWED, principal)


def authorise(
    session: Session,
    *,
    session_key: str | None,
    audience: Audience,
    route: str | None = None,
    client_address: str | None = None,
    now: datetime | None = None,
) -> Decision:
    """Decide whether the holder of ``session_key`` may act as ``audience``.

    ``PUBLIC`` is always allowed (with the principal when there is one).
    Role refusals are audited (``access_refused``, with ``route``); the caller
    commits. A live session is remembered in ``session_cache.CACHE`` for
    :func:`cached_decision`.
    """
    now = now or utcnow()
    epoch = session_cache.read_epoch(session.connection()) if session_key else 0
    found = live_session(session, session_key, now=now)
    principal = principal_of(*found) if found is not None else None
    if found is not None:
        row = found[0]
        last_seen = as_utc(row.last_seen_at)
        session_cache.CACHE.put(session_key, session_cache.Entry(
            principal=principal, epoch=epoch,
            valid_until=min(as_utc(row.expires_at), last_seen + sessions.SESSION_IDLE_TIMEOUT),
            touch_after=last_seen + sessions.SESSION_TOUCH_INTERVAL,
        ))
    elif session_key:
        session_cache.CACHE.forget(session_key)
    decision = _judge(principal, audience, expired=bool(session_key))
    if decision.outcome is Outcome.FORBIDDEN:
        events.audit(
            session, "access_refused", actor_user_id=principal.id,
            client_address=client_address, route=(route or "")[:200], now=now,
        )
    return decision


def cached_decision(
    engine: Engine, *, session_key: str | None, audience: Audience, now: datetime | None = None,
) -> Decision | None:
    """The decision without touching the session tables, when it can be made
    safely: no key at all, or a session validated recently in this process
    whose epoch is still current (one primary-key read). None: call
    :func:`authorise` (refusals by role are always decided there, to be audited).
    """
    if not session_key:
        return _judge(None, audience, expired=False)
    if len(session_cache.CACHE) == 0:
        return None
    epoch = session_cache.current_epoch(engine)
    entry = session_cache.CACHE.get(session_key, epoch=epoch, now=now or utcnow())
    if entry is None:
        return None
    decision = _judge(entry.principal, audience, expired=True)
    return None if decision.outcome is Outcome.FORBIDDEN else decision


def user_of(session: Session, principal: Principal) -> UserAccount:
    """The account row of an authorised principal, in the caller's transaction."""
    user = session.get(UserAccount, principal.id)
    if user is None:  # deleted between the decision and now
        raise LookupError("account no longer exists")
    return user
