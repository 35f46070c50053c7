"""User accounts, sessions, single-use tokens and login throttling."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from segur_app.domain.models.base import timestamp_column, utcnow
from segur_app.domain.models.enums import (
    Role,
)


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        sa.UniqueConstraint("identifiant"),
        Role.check("role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    identifiant: str = Field(max_length=64)
    email: str = Field(max_length=254, index=True)
    first_name: str = Field(max_length=120)
    last_name: str = Field(max_length=120)
    role: str = Field(max_length=16)
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id", index=True)
    is_active: bool = True

    password_hash: str = Field(max_length=255)
    password_changed_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    # First login: a temporary password must be replaced, then a secret question set.
    must_change_password: bool = True
    temp_password_expires_at: datetime | None = Field(
        default=None, sa_column=timestamp_column(nullable=True)
    )
    secret_question: str | None = Field(default=None, max_length=255)
    secret_answer_hash: str | None = Field(default=None, max_length=255)

    # Failed logins and lockout are counted per identifiant in LoginThrottle.
    last_login_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def needs_secret_question(self) -> bool:
        return self.secret_answer_hash is None


class UserSession(SQLModel, table=True):
    """Server-side login session; the browser only keeps the random token."""

    __tablename__ = "user_session"
    __table_args__ = (sa.UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    expires_at: datetime = Field(sa_column=timestamp_column())
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    client_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=255)


class AuthEpoch(SQLModel, table=True):
    """One row, bumped in the same transaction as any change that ends a
    session or alters what it may do (revocation, password, role, first-login
    step...): processes that cache validated sessions (domain/session_cache.py)
    compare it at every event, so a revocation is seen on the very next one."""

    __tablename__ = "auth_epoch"

    id: int = Field(default=1, primary_key=True)
    value: int = 0


class PasswordResetToken(SQLModel, table=True):
    """Single-use link sent by "J'ai oublié mon mot de passe"."""

    __tablename__ = "password_reset_token"
    __table_args__ = (sa.UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    expires_at: datetime = Field(sa_column=timestamp_column())
    used_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    failed_answers: int = 0


class EmailChangeToken(SQLModel, table=True):
    """« Mon compte »: a new contact address waiting for confirmation by link."""

    __tablename__ = "email_change_token"
    __table_args__ = (sa.UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    new_email: str = Field(max_length=254)
    token_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    expires_at: datetime = Field(sa_column=timestamp_column())
    used_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class LoginThrottle(SQLModel, table=True):
    """Failed logins per identifiant typed, whether an account has it or not.

    The per-account lockout (domain/throttling.py) lives here rather than on
    ``user_account`` so that an unknown identifiant is counted, locked and
    answered exactly like a real one — without creating an account. The key is
    the SHA-256 of the normalised identifiant: what people type (sometimes
    their password) is not kept in clear.
    """

    __tablename__ = "login_throttle"

    key_hash: str = Field(primary_key=True, max_length=64)
    failed_count: int = 0
    last_failure_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True, index=True))
    locked_until: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
