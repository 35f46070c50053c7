"""First login, forgotten identifiant / password and the reset link, driven
without a browser. Guards are in tests/test_authorisation_matrix.py; the
login POST itself in tests/test_session_routes.py.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.core.security import verify_password
from segur_app.core.session import MSG_PASSWORD_CHANGED
from segur_app.domain import passwords
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import EmailMessage, PasswordResetToken, UserAccount
from segur_app.domain.passwords import normalise_secret_answer
from segur_app.state.access import (
    MSG_FILL_EMAIL,
    MSG_FILL_IDENTIFIANT,
    FirstLoginState,
    ForgotIdentifiantState,
    ForgotPasswordState,
    ResetPasswordState,
)
from segur_app.state.base import SessionState
from segur_app.domain.accounts import first_login, recovery
from tests.state_harness import Tab, fresh, point_app_at, redirect_target, scenario, seed_people

NEW_PASSWORD = "Premier#2024x"


@pytest.fixture
def people(db, engine, tmp_path, monkeypatch):
    point_app_at(monkeypatch, engine, tmp_path / "storage")
    yield seed_people(db, tmp_path / "storage", deposit=False)
    get_settings.cache_clear()


def _user(db, identifiant: str) -> UserAccount:
    fresh(db)  # see what the handlers committed
    return db.exec(select(UserAccount).where(UserAccount.identifiant == identifiant)).one()


def _mails(db, template: TemplateName) -> list[EmailMessage]:
    fresh(db)
    return list(db.exec(select(EmailMessage).where(EmailMessage.template == template.value)))


@scenario
async def test_first_login_changes_the_password_then_sets_the_secret_question(db, people):
    tab = Tab(token=people.first_login, path=routes.FIRST_LOGIN_PASSWORD)
    await tab.run(FirstLoginState.load_password_step)
    page = await tab.state(FirstLoginState)
    form = {"old_password": "x", "new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD}

    out = await tab.run(FirstLoginState.change_password, {**form, "old_password": "y"})
    assert redirect_target(out) is None and page.errors == [first_login.MSG_WRONG_OLD_PASSWORD]
    out = await tab.run(FirstLoginState.change_password,
                        {**form, "new_password": "nouveau.select#1", "confirmation": "z"})
    assert redirect_target(out) is None
    assert passwords.MSG_CONTAINS_IDENTIFIANT in page.errors
    assert passwords.MSG_CONFIRMATION in page.errors
    assert _user(db, "nouveau.select").must_change_password is True

    out = await tab.run(FirstLoginState.change_password, form)
    assert redirect_target(out) == routes.FIRST_LOGIN_SECRET_QUESTION and page.errors == []
    user = _user(db, "nouveau.select")
    assert user.must_change_password is False and verify_password(user.password_hash, NEW_PASSWORD)

    # The same session goes on to the second step.
    tab.navigate(routes.FIRST_LOGIN_SECRET_QUESTION)
    assert redirect_target(await tab.run(FirstLoginState.load_question_step)) is None
    out = await tab.run(FirstLoginState.set_secret_question, {"question": "", "answer": "ab"})
    assert redirect_target(out) is None
    assert page.errors == [first_login.MSG_QUESTION_REQUIRED, first_login.MSG_ANSWER_TOO_SHORT]
    out = await tab.run(FirstLoginState.set_secret_question,
                        {"question": "  Nom de   mon école ? ", "answer": "Jules Ferry"})
    assert redirect_target(out) == routes.PRIVATE_HOME and page.errors == []
    user = _user(db, "nouveau.select")
    assert user.secret_question == "Nom de mon école ?"
    assert verify_password(user.secret_answer_hash, normalise_secret_answer("jules ferry"))


@scenario
async def test_an_agent_without_a_secret_question_lands_on_the_staff_home(db, people):
    agent = _user(db, "agent.asp")
    agent.secret_question = agent.secret_answer_hash = None
    db.add(agent)
    db.commit()
    tab = Tab(token=people.staff, path=routes.FIRST_LOGIN_SECRET_QUESTION)
    out = await tab.run(FirstLoginState.set_secret_question,
                        {"question": "Ville de naissance ?", "answer": "Lyon"})
    assert redirect_target(out) == routes.STAFF_HOME
    assert _user(db, "agent.asp").secret_question == "Ville de naissance ?"


@scenario
async def test_a_forgotten_identifiant_is_emailed_without_telling_who_exists(db, people):
    tab = Tab(path=routes.FORGOT_ID)
    await tab.run(ForgotIdentifiantState.reset_form)
    page = await tab.state(ForgotIdentifiantState)
    await tab.run(ForgotIdentifiantState.submit, {"email": "  "})
    assert (page.error, page.done) == (MSG_FILL_EMAIL, False)

    owner = _user(db, "test.ecomplementaire")
    await tab.run(ForgotIdentifiantState.submit, {"email": f" {owner.email.upper()} "})
    assert (page.error, page.done) == ("", True)
    [mail] = _mails(db, TemplateName.IDENTIFIANT_REMINDER)
    assert mail.to_address == owner.email and "test.ecomplementaire" in mail.body_text

    await tab.run(ForgotIdentifiantState.reset_form)
    assert page.done is False
    await tab.run(ForgotIdentifiantState.submit, {"email": "personne@nulle-part.example"})
    assert (page.error, page.done) == ("", True)  # the same answer
    assert len(_mails(db, TemplateName.IDENTIFIANT_REMINDER)) == 1


async def _reset_link(db, identifiant: str) -> str:
    tab = Tab(path=routes.FORGOT_PASSWORD, tab_token="tab-forgot")
    await tab.run(ForgotPasswordState.submit, {"identifiant": identifiant})
    assert (await tab.state(ForgotPasswordState)).done
    mail = _mails(db, TemplateName.PASSWORD_RESET)[-1]
    return re.search(rf"{routes.RESET_PASSWORD}\?{routes.RESET_TOKEN_PARAM}=([\w-]+)",
                     mail.body_text).group(1)


@scenario
async def test_a_forgotten_password_is_reset_through_the_emailed_link(db, people):
    tab = Tab(path=routes.FORGOT_PASSWORD)
    page = await tab.state(ForgotPasswordState)
    await tab.run(ForgotPasswordState.submit, {"identifiant": ""})
    assert (page.error, page.done) == (MSG_FILL_IDENTIFIANT, False)
    await tab.run(ForgotPasswordState.submit, {"identifiant": "inconnu.total"})
    assert (page.error, page.done) == ("", True)
    assert _mails(db, TemplateName.PASSWORD_RESET) == []

    token = await _reset_link(db, "test.ecomplementaire")
    owner = _user(db, "test.ecomplementaire")
    assert _mails(db, TemplateName.PASSWORD_RESET)[0].to_address == owner.email

    link = Tab(path=routes.RESET_PASSWORD, query={routes.RESET_TOKEN_PARAM: token},
               tab_token="tab-link")
    await link.run(ResetPasswordState.load)
    reset = await link.state(ResetPasswordState)
    assert (reset.link_valid, reset.question, reset.has_question) == (
        True, "Ville de naissance ?", True)

    form = {"answer": "Marseille", "new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD}
    assert redirect_target(await link.run(ResetPasswordState.submit, form)) is None
    assert reset.errors == [f"{recovery.MSG_WRONG_ANSWER} Il vous reste 2 essai(s)."]
    assert reset.link_valid
    out = await link.run(ResetPasswordState.submit,
                         {**form, "answer": "paris", "confirmation": "x"})
    assert redirect_target(out) is None
    assert reset.errors == [passwords.MSG_CONFIRMATION]
    assert not verify_password(_user(db, "test.ecomplementaire").password_hash, NEW_PASSWORD)

    out = await link.run(ResetPasswordState.submit, {**form, "answer": " PARIS "})
    assert redirect_target(out) == routes.LOGIN and reset.errors == []
    assert (await link.state(SessionState)).notice == MSG_PASSWORD_CHANGED
    assert verify_password(_user(db, "test.ecomplementaire").password_hash, NEW_PASSWORD)
    assert db.exec(select(PasswordResetToken)).one().used_at is not None

    # The link is single-use.
    await link.run(ResetPasswordState.load)
    assert reset.link_valid is False
    await link.run(ResetPasswordState.submit, form)
    assert reset.errors == [recovery.MSG_RESET_LINK_INVALID] and reset.link_valid is False


@scenario
async def test_three_wrong_answers_burn_the_link(db, people):
    token = await _reset_link(db, "test.ecomplementaire")
    link = Tab(path=routes.RESET_PASSWORD, query={routes.RESET_TOKEN_PARAM: token})
    await link.run(ResetPasswordState.load)
    reset = await link.state(ResetPasswordState)
    form = {"answer": "Lyon", "new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD}
    for _ in range(3):
        await link.run(ResetPasswordState.submit, form)
    assert reset.errors == [recovery.MSG_RESET_LINK_INVALID] and reset.link_valid is False
    await link.run(ResetPasswordState.submit, {**form, "answer": "Paris"})
    assert not verify_password(_user(db, "test.ecomplementaire").password_hash, NEW_PASSWORD)

    unknown = Tab(path=routes.RESET_PASSWORD, query={routes.RESET_TOKEN_PARAM: "n-importe"},
                  tab_token="tab-unknown")
    await unknown.run(ResetPasswordState.load)
    assert (await unknown.state(ResetPasswordState)).link_valid is False


@scenario
async def test_a_guarded_event_of_the_same_user_sends_nothing_of_the_session_state(people):
    """The first guarded event fills the tab's display of who is logged in; the
    next ones re-check the session but assign nothing that has not changed — a
    dirty var would be sent to the tab and persisted after every event."""
    tab = Tab(token=people.owner, path=routes.PRIVATE_HOME)
    assert await tab.run(SessionState.require_user) == []
    session_state = await tab.state(SessionState)
    assert session_state.authenticated and session_state.user_identifiant
    assert "user_name" in session_state.dirty_vars
    session_state.dirty_vars.clear()
    assert await tab.run(SessionState.require_user) == []
    assert session_state.dirty_vars == set()
    # Another user's session in the same tab: everything is shown anew.
    tab.set_cookie(people.other)
    await tab.run(SessionState.require_user)
    session_state = await tab.state(SessionState)
    assert "user_identifiant" in session_state.dirty_vars
    assert session_state.user_identifiant == "autre.editeur"
