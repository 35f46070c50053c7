"""Accounts: password rules, login and lockout, sessions, first login, reset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from segur_app.core.security import hash_password, session_key, verify_password
from segur_app.domain import access, passwords
from segur_app.domain.models import AuditEvent, Role, UserAccount, UserSession, utcnow
from segur_app.domain.accounts import first_login, profile, recovery, sessions
from segur_app.domain.accounts import login as account_login
from segur_app.domain.throttling import MAX_FAILED_LOGINS_PER_ADDRESS

IDENT = "test.ecomplementaire"
TEMP = "Segur2023!"
NEW = "Ambre-Lagon-73"


def live(db, token, **kwargs):
    """The live session of a browser holding ``token`` (the policy's lookup)."""
    return access.live_session(db, session_key(token), **kwargs)


# --------------------------------------------------------------------------
# Password rules (pure functions)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("Ab1!", passwords.MSG_TOO_SHORT),
        ("Abcdefgh!", passwords.MSG_NO_DIGIT),
        ("Abcdefgh1", passwords.MSG_NO_SPECIAL),
        ("Élégant-2024", passwords.MSG_ACCENTS),
        ("Mot-de-passe-€-12", passwords.MSG_FORBIDDEN_CHARACTERS),
        (IDENT, passwords.MSG_SAME_AS_IDENTIFIANT),
        ("TEST.ECOMPLEMENTAIRE", passwords.MSG_SAME_AS_IDENTIFIANT),
        (IDENT + "-2024!", passwords.MSG_CONTAINS_IDENTIFIANT),
        ("Mon-2024!Test.EComplementaire", passwords.MSG_CONTAINS_IDENTIFIANT),
        ("x1!TEST.ECOMPLEMENTAIRE!1x", passwords.MSG_CONTAINS_IDENTIFIANT),
        ("password1!", passwords.MSG_TOO_COMMON),
        ("Azerty123!", passwords.MSG_TOO_COMMON),
        ("x" * 129 + "1!", passwords.MSG_TOO_LONG),
    ],
)
def test_each_broken_rule_has_its_own_message(candidate, expected):
    assert expected in passwords.password_problems(candidate, identifiant=IDENT)


def test_valid_passwords_including_long_ones():
    assert passwords.password_problems(NEW, identifiant=IDENT) == []
    assert passwords.password_problems("a1!" + "z" * 61, identifiant=IDENT) == []
    assert passwords.password_problems("Jardin du 12 mai ;)", identifiant=IDENT) == []


def test_identifiant_rule_reports_one_message_and_needs_the_whole_identifiant():
    assert passwords.password_problems(IDENT, identifiant=IDENT).count(
        passwords.MSG_SAME_AS_IDENTIFIANT) == 1
    assert passwords.MSG_CONTAINS_IDENTIFIANT not in passwords.password_problems(
        IDENT, identifiant=IDENT)
    # Pieces of the identifiant are fine; only the whole of it is refused.
    assert passwords.password_problems("Test-ecompl-2024!", identifiant=IDENT) == []
    assert passwords.password_problems(NEW, identifiant="") == []


def test_several_rules_reported_together():
    problems = passwords.password_problems("abc", identifiant=IDENT)
    assert {passwords.MSG_TOO_SHORT, passwords.MSG_NO_DIGIT, passwords.MSG_NO_SPECIAL} <= set(
        problems
    )


def test_confirmation_and_previous_password():
    assert passwords.password_problems(NEW, identifiant=IDENT, confirmation="other") == [
        passwords.MSG_CONFIRMATION
    ]
    previous = hash_password(NEW)
    assert passwords.password_problems(NEW, identifiant=IDENT, previous_hash=previous) == [
        passwords.MSG_SAME_AS_PREVIOUS
    ]


def test_secret_answers_are_normalised():
    assert passwords.normalise_secret_answer("  Le  Chat  Botté ") == "le chat botte"
    assert passwords.normalise_secret_answer("LE CHAT BOTTE") == "le chat botte"


# --------------------------------------------------------------------------
# Login, lockout, sessions (database)
# --------------------------------------------------------------------------


@pytest.fixture
def user(db) -> UserAccount:
    account = UserAccount(
        identifiant=IDENT, email="Eishiro.Oda@le-select.example", first_name="Eishiro",
        last_name="ODA", role=Role.SUPPLIER.value, password_hash=hash_password(TEMP),
        must_change_password=True, temp_password_expires_at=utcnow() + timedelta(days=7),
    )
    db.add(account)
    db.commit()
    return account


def login(db, password=TEMP, identifiant=IDENT, **kw):
    return account_login.authenticate(db, identifiant=identifiant, password=password,
                                 client_address="203.0.113.7", **kw)


def test_login_success_opens_a_session_and_audits(db, user):
    result = login(db)
    assert result.ok and result.user_id == user.id and len(result.token) >= 43
    row, found = live(db, result.token)
    assert found.id == user.id
    assert row.token_hash != result.token  # only the hash is stored
    events = db.exec(select(AuditEvent.action, AuditEvent.client_address)).all()
    assert ("login_succeeded", "203.0.113.7") in events
    assert first_login.next_step(found) == first_login.STEP_CHANGE_PASSWORD


def test_unknown_identifiant_and_wrong_password_give_the_same_error(db, user):
    unknown = login(db, identifiant="nobody")
    wrong = login(db, password="Wrong-pass-1")
    assert not unknown.ok and not wrong.ok
    assert unknown.error == wrong.error == account_login.MSG_BAD_CREDENTIALS
    assert unknown.token is None


def test_five_failures_lock_the_account_for_15_minutes(db, user):
    now = utcnow()
    for attempt in range(4):
        assert login(db, password="bad", now=now).error == account_login.MSG_BAD_CREDENTIALS
    fifth = login(db, password="bad", now=now)
    assert account_login.MSG_LOCKED in fifth.error
    # Even the right password is refused while locked.
    assert not login(db, now=now + timedelta(minutes=14)).ok
    assert login(db, now=now + timedelta(minutes=16)).ok
    actions = db.exec(select(AuditEvent.action)).all()
    assert "account_locked" in actions and "login_refused_locked" in actions


def test_expired_temporary_password(db, user):
    result = login(db, now=utcnow() + timedelta(days=8))
    assert not result.ok and result.error == account_login.MSG_TEMPORARY_EXPIRED


def test_session_idle_and_absolute_expiry(db, user):
    start = utcnow()
    token = login(db, now=start).token
    db.commit()
    # Activity every 20 minutes keeps it alive ...
    t = start
    for _ in range(3):
        t += timedelta(minutes=20)
        assert live(db, token, now=t) is not None
        db.commit()
    # ... 31 idle minutes end it.
    assert live(db, token, now=t + timedelta(minutes=31)) is None
    # Absolute limit of 12 hours whatever the activity.
    token2 = login(db, now=start).token
    row = db.exec(select(UserSession).order_by(UserSession.id.desc())).first()
    row.last_seen_at = start + timedelta(hours=12)
    db.add(row)
    db.commit()
    assert live(db, token2, now=start + timedelta(hours=12, minutes=1)) is None


def test_logout_revokes_server_side(db, user):
    token = login(db).token
    sessions.revoke_session(db, token)
    db.commit()
    assert live(db, token) is None
    assert live(db, "forged-token") is None
    assert live(db, None) is None


def test_first_login_flow_and_password_change_ends_other_sessions(db, user):
    other_browser = login(db).token
    this_browser = login(db).token
    db.commit()

    bad = first_login.change_password(db, user=user, old_password="nope", new_password=NEW,
                                   confirmation=NEW)
    assert bad.errors == [first_login.MSG_WRONG_OLD_PASSWORD]
    weak = first_login.change_password(db, user=user, old_password=TEMP, new_password="abc",
                                    confirmation="abc")
    assert passwords.MSG_TOO_SHORT in weak.errors

    kept_id = live(db, this_browser)[0].id
    done = first_login.change_password(db, user=user, old_password=TEMP, new_password=NEW,
                                    confirmation=NEW, keep_session_id=kept_id)
    db.commit()
    assert done.ok
    assert live(db, other_browser) is None
    # The browser that made the change keeps its session (its HttpOnly cookie).
    _, fresh_user = live(db, this_browser)
    assert not fresh_user.must_change_password
    assert first_login.next_step(fresh_user) == first_login.STEP_SECRET_QUESTION

    assert first_login.set_secret_question(db, user=user, question=" ", answer="") == [
        first_login.MSG_QUESTION_REQUIRED, first_login.MSG_ANSWER_REQUIRED,
    ]
    assert first_login.set_secret_question(db, user=user, question="Ville de naissance ?",
                                        answer="  Châlons ") == []
    db.commit()
    assert first_login.next_step(user) == first_login.STEP_HOME
    assert verify_password(user.secret_answer_hash, "chalons")
    assert not login(db, password=TEMP).ok
    assert login(db, password=NEW).ok


def test_every_way_of_setting_a_password_refuses_one_containing_the_identifiant(db, user):
    embedding = "2024!" + IDENT.upper()
    # First login (temporary password).
    first = first_login.change_password(db, user=user, old_password=TEMP, new_password=embedding,
                                     confirmation=embedding)
    assert first.errors == [passwords.MSG_CONTAINS_IDENTIFIANT]
    assert first_login.change_password(db, user=user, old_password=TEMP, new_password=NEW,
                                    confirmation=NEW).ok
    db.commit()
    # « Mon compte ».
    later = first_login.change_password(db, user=user, old_password=NEW, new_password=embedding,
                                     confirmation=embedding)
    assert later.errors == [passwords.MSG_CONTAINS_IDENTIFIANT]
    # Reset by emailed link.
    token = recovery.create_reset_token(db, user=user)
    db.commit()
    reset = recovery.complete_password_reset(db, token=token, answer="", new_password=embedding,
                                             confirmation=embedding)
    assert reset.errors == [passwords.MSG_CONTAINS_IDENTIFIANT] and not reset.link_burnt
    db.commit()
    db.refresh(user)
    assert verify_password(user.password_hash, NEW)
    assert not verify_password(user.password_hash, embedding)


def test_old_argon2_parameters_are_upgraded_at_login(db, user):
    from argon2 import PasswordHasher

    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(TEMP)
    db.add(user)
    db.commit()
    assert login(db).ok
    db.refresh(user)
    assert "m=19456,t=2,p=1" in user.password_hash


# --------------------------------------------------------------------------
# Password reset links
# --------------------------------------------------------------------------


def test_reset_link_single_use_and_answer_tries(db, user):
    first_login.set_secret_question(db, user=user, question="Ville ?", answer="Antony")
    db.commit()
    session_token = login(db).token

    token = recovery.create_reset_token(db, user=user)
    db.commit()
    first = recovery.complete_password_reset(db, token=token, answer="Paris",
                                             new_password=NEW, confirmation=NEW)
    assert not first.ok and not first.link_burnt and "2 essai(s)" in first.errors[0]
    weak = recovery.complete_password_reset(db, token=token, answer="antony ",
                                            new_password="short", confirmation="short")
    assert passwords.MSG_TOO_SHORT in weak.errors
    done = recovery.complete_password_reset(db, token=token, answer="ANTONY",
                                            new_password=NEW, confirmation=NEW)
    db.commit()
    assert done.ok
    assert live(db, session_token) is None
    assert login(db, password=NEW).ok
    again = recovery.complete_password_reset(db, token=token, answer="Antony",
                                             new_password="Other-pass-99", confirmation="Other-pass-99")
    assert again.errors == [recovery.MSG_RESET_LINK_INVALID]


def test_reset_link_burnt_after_three_wrong_answers_or_expiry(db, user):
    first_login.set_secret_question(db, user=user, question="Ville ?", answer="Antony")
    token = recovery.create_reset_token(db, user=user)
    db.commit()
    for _ in range(2):
        assert not recovery.complete_password_reset(
            db, token=token, answer="x", new_password=NEW, confirmation=NEW).link_burnt
    third = recovery.complete_password_reset(db, token=token, answer="x",
                                             new_password=NEW, confirmation=NEW)
    assert third.link_burnt
    assert recovery.complete_password_reset(
        db, token=token, answer="Antony", new_password=NEW, confirmation=NEW
    ).errors == [recovery.MSG_RESET_LINK_INVALID]

    late = recovery.create_reset_token(db, user=user)
    db.commit()
    assert recovery.live_reset_token(db, late, now=utcnow() + timedelta(minutes=31)) is None


def test_newer_reset_link_replaces_older(db, user):
    old = recovery.create_reset_token(db, user=user)
    db.commit()
    new = recovery.create_reset_token(db, user=user)
    db.commit()
    assert recovery.live_reset_token(db, old) is None
    assert recovery.live_reset_token(db, new) is not None


def test_accounts_for_email_is_case_insensitive(db, user):
    assert [u.id for u in recovery.accounts_for_email(db, " eishiro.oda@LE-SELECT.example ")] == [
        user.id
    ]
    assert recovery.accounts_for_email(db, "unknown@example.org") == []


def test_one_address_trying_many_identifiants_is_throttled(db, user):
    now = utcnow()
    for n in range(MAX_FAILED_LOGINS_PER_ADDRESS):
        assert login(db, identifiant=f"guess{n}", password="x", now=now).error == (
            account_login.MSG_BAD_CREDENTIALS
        )
    assert login(db, now=now).error == account_login.MSG_THROTTLED
    # Another address is not affected; the first one recovers after the window.
    assert account_login.authenticate(db, identifiant=IDENT, password=TEMP,
                                 client_address="198.51.100.1", now=now).ok
    assert login(db, now=now + timedelta(minutes=16)).ok


# --------------------------------------------------------------------------
# « Mon compte »
# --------------------------------------------------------------------------


def test_change_secret_question_requires_the_password(db, user):
    assert profile.change_secret_question(db, user=user, password="nope", question="Q ?",
                                           answer="abc") == [profile.MSG_WRONG_PASSWORD]
    assert profile.change_secret_question(db, user=user, password=TEMP, question="Animal ?",
                                           answer="Chat") == []
    db.commit()
    assert user.secret_question == "Animal ?"


def test_email_change_is_confirmed_by_a_link_sent_to_the_new_address(db, user):
    from segur_app.domain.models import EmailMessage

    links: list[str] = []

    def link_for(token):
        links.append(token)
        return f"http://localhost:3000/confirmer-adresse?jeton={token}"

    common = dict(user=user, confirm_url_for=link_for)
    assert profile.request_email_change(db, password="x", new_email="a@b.example",
                                         confirmation="a@b.example", **common) == [
        profile.MSG_WRONG_PASSWORD]
    assert profile.request_email_change(db, password=TEMP, new_email="pas-une-adresse",
                                         confirmation="pas-une-adresse", **common) == [
        profile.MSG_EMAIL_INVALID]
    assert profile.request_email_change(db, password=TEMP, new_email="a@b.example",
                                         confirmation="c@d.example", **common) == [
        profile.MSG_EMAIL_MISMATCH]
    assert profile.request_email_change(db, password=TEMP, new_email="nouvelle@le-select.example",
                                         confirmation="Nouvelle@le-select.example", **common) == []
    db.commit()
    sent = {m.to_address: m for m in db.exec(select(EmailMessage))}
    assert links[-1] in sent["nouvelle@le-select.example"].body_text
    assert "nouvelle@le-select.example" in sent["Eishiro.Oda@le-select.example"].body_text
    assert user.email == "Eishiro.Oda@le-select.example"  # not before confirmation

    assert profile.confirm_email_change(db, token="forged") is None
    assert profile.confirm_email_change(db, token=links[-1]) == "nouvelle@le-select.example"
    db.commit()
    assert user.email == "nouvelle@le-select.example"
    assert profile.confirm_email_change(db, token=links[-1]) is None  # single use


def test_recent_logins_and_ending_other_sessions(db, user):
    here = login(db).token
    elsewhere = account_login.authenticate(db, identifiant=IDENT, password=TEMP,
                                      client_address="198.51.100.9").token
    logins = profile.recent_logins(db, user_id=user.id)
    assert [l.client_address for l in logins] == ["198.51.100.9", "203.0.113.7"]
    here_id = live(db, here)[0].id
    assert sessions.revoke_other_sessions(db, user_id=user.id, keep_session_id=here_id) == 1
    db.commit()
    assert live(db, here) is not None
    assert live(db, elsewhere) is None
