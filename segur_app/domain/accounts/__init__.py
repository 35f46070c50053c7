"""Accounts: login with lockout, server-side sessions, first login, recovery, « Mon compte ».

Every function takes the caller's ``Session`` and never commits, except where
noted: a failed login must be recorded even though the caller reports an error,
so ``authenticate`` commits its own bookkeeping.

Modules: :mod:`.login` (``authenticate``), :mod:`.sessions` (open, revoke),
:mod:`.first_login` (password change, secret question, ``set_password``),
:mod:`.recovery` (forgotten identifiant or password), :mod:`.profile`
(« Mon compte »), :mod:`.events` (the audit trail). Password rules are in ``domain/passwords``,
lockout counters in ``domain/throttling``, account opening in
``domain/credentials``. Callers write ``from segur_app.domain import accounts``
then ``accounts.authenticate(...)``: the public names are re-exported here.

Security notes
--------------
* Errors are generic ("Identifiant ou mot de passe incorrect.") and an unknown
  identifiant still costs one Argon2 verification, so timing does not reveal
  which identifiants exist. The lockout (5 failures → 15 minutes) is counted
  per identifiant typed, existing or not, and the per-address limit applies to
  the real client address: see ``throttling``. Callers pass
  ``client_address`` as computed by ``segur_app.core.client_address``.
* The browser only ever holds a random 256-bit token; the database stores its
  SHA-256. Sessions expire after 30 minutes idle and 12 hours in all, and are
  revoked at logout and at every password change.
* Argon2 work is CPU-heavy: Reflex handlers call these functions through
  ``asyncio.to_thread``.
"""

from __future__ import annotations

from segur_app.domain.accounts.events import (
    audit,
)
from segur_app.domain.accounts.sessions import (
    SESSION_ABSOLUTE_TIMEOUT,
    SESSION_IDLE_TIMEOUT,
    SESSION_TOUCH_INTERVAL,
    open_session,
    revoke_all_sessions,
    revoke_other_sessions,
    revoke_session,
)
from segur_app.domain.accounts.login import (
    MSG_BAD_CREDENTIALS,
    MSG_BAD_CREDENTIALS_LOCKED,
    MSG_LOCKED,
    MSG_TEMPORARY_EXPIRED,
    MSG_THROTTLED,
    LoginResult,
    authenticate,
    find_user,
)
from segur_app.domain.accounts.first_login import (
    MSG_ANSWER_REQUIRED,
    MSG_ANSWER_TOO_SHORT,
    MSG_QUESTION_REQUIRED,
    MSG_QUESTION_TOO_LONG,
    MSG_WRONG_OLD_PASSWORD,
    STEP_CHANGE_PASSWORD,
    STEP_HOME,
    STEP_SECRET_QUESTION,
    TEMPORARY_PASSWORD_VALIDITY,
    PasswordChangeResult,
    change_password,
    next_step,
    queue_password_changed_notice,
    secret_question_problems,
    set_password,
    set_secret_question,
)
from segur_app.domain.accounts.recovery import (
    MSG_RESET_LINK_INVALID,
    MSG_WRONG_ANSWER,
    RECOVERY_LIMIT_PER_ADDRESS,
    RESET_MAX_ANSWER_ATTEMPTS,
    RESET_TOKEN_VALIDITY,
    ResetResult,
    accounts_for_email,
    complete_password_reset,
    create_reset_token,
    live_reset_token,
    live_token,
    request_identifiant_reminder,
    request_password_reset,
)
from segur_app.domain.accounts.profile import (
    EMAIL_CHANGE_VALIDITY,
    MSG_EMAIL_INVALID,
    MSG_EMAIL_LINK_INVALID,
    MSG_EMAIL_MISMATCH,
    MSG_EMAIL_SAME,
    MSG_WRONG_PASSWORD,
    LoginView,
    change_secret_question,
    confirm_email_change,
    recent_logins,
    request_email_change,
)
# Lockout names callers have always read here (the counters live in domain/throttling).
from segur_app.domain.throttling import (
    LOCK_DURATION,
    MAX_FAILED_LOGINS,
    MAX_FAILED_LOGINS_PER_ADDRESS,
    count_within_limit,
    too_many_requests,
)

__all__ = [
    "EMAIL_CHANGE_VALIDITY",
    "LOCK_DURATION",
    "MAX_FAILED_LOGINS",
    "MAX_FAILED_LOGINS_PER_ADDRESS",
    "MSG_ANSWER_REQUIRED",
    "MSG_ANSWER_TOO_SHORT",
    "MSG_BAD_CREDENTIALS",
    "MSG_BAD_CREDENTIALS_LOCKED",
    "MSG_EMAIL_INVALID",
    "MSG_EMAIL_LINK_INVALID",
    "MSG_EMAIL_MISMATCH",
    "MSG_EMAIL_SAME",
    "MSG_LOCKED",
    "MSG_QUESTION_REQUIRED",
    "MSG_QUESTION_TOO_LONG",
    "MSG_RESET_LINK_INVALID",
    "MSG_TEMPORARY_EXPIRED",
    "MSG_THROTTLED",
    "MSG_WRONG_ANSWER",
    "MSG_WRONG_OLD_PASSWORD",
    "MSG_WRONG_PASSWORD",
    "RECOVERY_LIMIT_PER_ADDRESS",
    "RESET_MAX_ANSWER_ATTEMPTS",
    "RESET_TOKEN_VALIDITY",
    "SESSION_ABSOLUTE_TIMEOUT",
    "SESSION_IDLE_TIMEOUT",
    "SESSION_TOUCH_INTERVAL",
    "STEP_CHANGE_PASSWORD",
    "STEP_HOME",
    "STEP_SECRET_QUESTION",
    "TEMPORARY_PASSWORD_VALIDITY",
    "LoginResult",
    "LoginView",
    "PasswordChangeResult",
    "ResetResult",
    "accounts_for_email",
    "audit",
    "authenticate",
    "change_password",
    "change_secret_question",
    "complete_password_reset",
    "confirm_email_change",
    "count_within_limit",
    "create_reset_token",
    "find_user",
    "live_reset_token",
    "live_token",
    "next_step",
    "open_session",
    "queue_password_changed_notice",
    "recent_logins",
    "request_email_change",
    "request_identifiant_reminder",
    "request_password_reset",
    "revoke_all_sessions",
    "revoke_other_sessions",
    "revoke_session",
    "secret_question_problems",
    "set_password",
    "set_secret_question",
    "too_many_requests",
]
