"""Password hashing (Argon2id) and random tokens.

Hashing is deliberately slow: never call it on the event loop. The states run
every domain call in a worker thread (``state/base.in_transaction``), the HTTP
routes with ``asyncio.to_thread``.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP minimum for Argon2id: m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """A URL-safe random token carrying 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are stored hashed (SHA-256 is enough for 256-bit random values)."""
    return hashlib.sha256(token.encode()).hexdigest()


# The browser cookie holding the session token (the only thing the browser
# keeps; the session itself lives in the database). It is HttpOnly, set and
# cleared only by HTTP responses (segur_app/api/session.py); over https it
# takes the ``__Host-`` prefix (Secure, path /, no Domain: the browser refuses
# any other).
SESSION_COOKIE = "segur_session"
SECURE_SESSION_COOKIE = "__Host-segur_session"


def session_cookie_name(*, secure: bool) -> str:
    return SECURE_SESSION_COOKIE if secure else SESSION_COOKIE


def session_key(token: str | None) -> str:
    """What a request presents to the access policy: the token's SHA-256
    (what the database stores), or "" when there is no token."""
    return hash_token(token) if token else ""
