"""Accounts: login with lockout, server-side sessions, first login, recovery, « Mon compte ».

Every function takes the caller's ``Session`` and never commits, except where
noted: a failed login must be recorded even though the caller reports an error,
so ``authenticate`` commits its own bookkeeping.

Modules: :mod:`.login` (``authenticate``), :mod:`.sessions` (open, revoke),
:mod:`.first_login` (password change, secret question, ``set_password``),
:mod:`.recovery` (forgotten identifiant or password), :mod:`.profile`
(« Mon compte »), :mod:`.events` (the audit trail). Password rules are in ``domain/passwords``,
lockout counters in ``domain/throttling``, account opening in
``domain/credentials``. Callers import the module they need (``from
segur_app.domain.accounts import login`` then ``login.authenticate(...)``);
nothing is re-exported here.

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
