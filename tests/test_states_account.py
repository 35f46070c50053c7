"""« Mon compte » driven without a browser: password (this session stays, the
others end), secret question, contact email (confirmed by an emailed link),
« fermer mes autres sessions ». Guards are in tests/test_authorisation_matrix.py.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.core.security import hash_token, verify_password
from segur_app.domain import passwords
from segur_app.domain.demo import SUPPLIER_PASSWORD
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import EmailMessage, UserAccount, UserSession
from segur_app.domain.passwords import normalise_secret_answer
from segur_app.state.account import AccountState, ConfirmEmailState
from segur_app.domain.accounts import first_login, profile, sessions
from tests.state_harness import Tab, fresh, point_app_at, redirect_target, scenario, seed_people

NEW_PASSWORD = "Nouveau#2024x"


@pytest.fixture
def world(db, engine, tmp_path, monkeypatch):
    """The people, and a second browser of the owner (another session)."""
    point_app_at(monkeypatch, engine, tmp_path / "storage")
    people = seed_people(db, tmp_path / "storage", deposit=False)
    other_browser = sessions.open_session(db, user=_owner(db))
    db.commit()
    yield people, other_browser
    get_settings.cache_clear()


def _owner(db) -> UserAccount:
    fresh(db)  # see what the handlers committed
    return db.exec(select(UserAccount).where(
        UserAccount.identifiant == "test.ecomplementaire")).one()


def _live(db, token: str) -> bool:
    row = db.exec(select(UserSession).where(UserSession.token_hash == hash_token(token))).one()
    return row.revoked_at is None


async def _account(token: str, tab_token: str = "tab-test") -> tuple[Tab, AccountState, list]:
    tab = Tab(token=token, path=routes.ACCOUNT, tab_token=tab_token)
    out = await tab.run(AccountState.load)
    return tab, await tab.state(AccountState), out


@scenario
async def test_a_password_change_keeps_this_session_and_ends_the_others(db, world):
    people, other_browser = world
    tab, page, _ = await _account(people.owner)
    assert page.email == _owner(db).email and page.summary.company_name == "LE SELECT"

    await tab.run(AccountState.change_password, {"old_password": "faux",
                                                 "new_password": NEW_PASSWORD,
                                                 "confirmation": NEW_PASSWORD})
    assert page.password_errors == [first_login.MSG_WRONG_OLD_PASSWORD] and page.message == ""
    await tab.run(AccountState.change_password, {"old_password": SUPPLIER_PASSWORD,
                                                 "new_password": "court",
                                                 "confirmation": "autre"})
    assert passwords.MSG_TOO_SHORT in page.password_errors
    assert passwords.MSG_CONFIRMATION in page.password_errors
    assert verify_password(_owner(db).password_hash, SUPPLIER_PASSWORD)

    await tab.run(AccountState.change_password, {"old_password": SUPPLIER_PASSWORD,
                                                 "new_password": NEW_PASSWORD,
                                                 "confirmation": NEW_PASSWORD})
    assert page.password_errors == []
    assert page.message.startswith("Votre mot de passe a été modifié.")
    owner = _owner(db)
    assert verify_password(owner.password_hash, NEW_PASSWORD)
    assert _live(db, people.owner) and not _live(db, other_browser)
    assert [m.to_address for m in db.exec(select(EmailMessage).where(
        EmailMessage.template == TemplateName.PASSWORD_CHANGED.value))] == [owner.email]

    # This tab goes on; the other browser is sent to the login page.
    assert redirect_target(await tab.run(AccountState.load)) is None
    _, _, out = await _account(other_browser, tab_token="tab-other-browser")
    assert redirect_target(out) == routes.LOGIN


@scenario
async def test_the_secret_question_needs_the_password(db, world):
    people, _ = world
    tab, page, _ = await _account(people.owner)
    form = {"password": "faux", "question": "Nom de mon premier chat ?", "answer": "Félix"}
    await tab.run(AccountState.change_question, form)
    assert page.question_errors == [profile.MSG_WRONG_PASSWORD]
    await tab.run(AccountState.change_question, {**form, "password": SUPPLIER_PASSWORD,
                                                 "answer": "a"})
    assert page.question_errors == [first_login.MSG_ANSWER_TOO_SHORT]
    assert _owner(db).secret_question == "Ville de naissance ?"

    await tab.run(AccountState.change_question, {**form, "password": SUPPLIER_PASSWORD})
    assert page.question_errors == [] and page.message == "Votre question secrète a été modifiée."
    owner = _owner(db)
    assert owner.secret_question == "Nom de mon premier chat ?"
    assert verify_password(owner.secret_answer_hash, normalise_secret_answer("Félix"))


@scenario
async def test_a_new_email_is_used_once_confirmed_by_the_emailed_link(db, world):
    people, _ = world
    tab, page, _ = await _account(people.owner)
    old_email = page.email
    form = {"password": SUPPLIER_PASSWORD, "email": "nouvelle@le-select.example",
            "email_confirmation": "autre@le-select.example"}
    await tab.run(AccountState.change_email, form)
    assert page.email_errors == [profile.MSG_EMAIL_MISMATCH]
    await tab.run(AccountState.change_email, {**form, "password": "faux"})
    assert page.email_errors == [profile.MSG_WRONG_PASSWORD]
    await tab.run(AccountState.change_email, {**form, "email": old_email,
                                              "email_confirmation": old_email})
    assert page.email_errors == [profile.MSG_EMAIL_SAME]

    await tab.run(AccountState.change_email, {**form, "email_confirmation": form["email"]})
    assert page.email_errors == []
    assert page.message.startswith("Un lien de confirmation a été envoyé")
    assert _owner(db).email == old_email  # until the link is opened
    mails = {m.template: m for m in db.exec(select(EmailMessage))}
    assert mails["email_change_confirmation"].to_address == "nouvelle@le-select.example"
    assert mails["email_change_notice"].to_address == old_email
    link = re.search(rf"{routes.CONFIRM_EMAIL}\?{routes.RESET_TOKEN_PARAM}=([\w-]+)",
                     mails["email_change_confirmation"].body_text)

    confirm = Tab(path=routes.CONFIRM_EMAIL, tab_token="tab-link",
                  query={routes.RESET_TOKEN_PARAM: link.group(1)})
    await confirm.run(ConfirmEmailState.load)
    shown = await confirm.state(ConfirmEmailState)
    assert (shown.done, shown.confirmed_email) == (True, "nouvelle@le-select.example")
    assert _owner(db).email == "nouvelle@le-select.example"
    await tab.run(AccountState.load)
    assert page.email == "nouvelle@le-select.example"

    # The link works once.
    await confirm.run(ConfirmEmailState.load)
    assert (shown.done, shown.confirmed_email) == (True, "")


@scenario
async def test_end_other_sessions_keeps_only_this_one(db, world):
    people, other_browser = world
    tab, page, _ = await _account(people.owner)
    await tab.run(AccountState.end_other_sessions)
    assert page.message == "1 autre(s) session(s) fermée(s)."
    fresh(db)
    assert _live(db, people.owner) and not _live(db, other_browser)
    assert _live(db, people.first_login)  # a colleague of the same company keeps theirs
    await tab.run(AccountState.end_other_sessions)
    assert page.message == "0 autre(s) session(s) fermée(s)."
    _, _, out = await _account(other_browser, tab_token="tab-other-browser")
    assert redirect_target(out) == routes.LOGIN
