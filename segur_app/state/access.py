"""Access to the private portal: login, first login, forgotten identifiant/password.

Form values arrive through ``on_submit`` (uncontrolled inputs): passwords are
never stored in state vars.
"""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.core.session import LOGIN_ERRORS, LOGIN_NOTICES, MSG_PASSWORD_CHANGED
from segur_app.links import absolute_url
from segur_app.domain import access
from segur_app.domain.access import Audience
from segur_app.domain.passwords import MAX_LENGTH
from segur_app.state.base import SessionState, guarded, in_transaction, principal, public
from segur_app.domain.accounts import first_login, recovery

MSG_IDENTIFIANT_SENT = (
    "Si cette adresse électronique correspond à un compte du portail, un courriel "
    "contenant votre identifiant vient de vous être envoyé."
)
MSG_RESET_SENT = (
    "Si cet identifiant correspond à un compte du portail, un courriel contenant un "
    "lien de réinitialisation (valable 30 minutes) vient d'être envoyé à l'adresse "
    "électronique du compte."
)
MSG_FILL_EMAIL = "Veuillez saisir l'adresse électronique de votre compte."
MSG_FILL_IDENTIFIANT = "Veuillez saisir votre identifiant."


def _field(form: dict, name: str, limit: int = 254) -> str:
    return str(form.get(name) or "")[:limit]


class LoginState(SessionState):
    """The login form posts natively to ``routes.SESSION_LOGIN`` (api/session.py),
    which answers with a redirect; this state only shows the message it names."""

    error: str = ""

    @public
    def clear_messages(self):
        code = self.router.url.query_parameters.get(routes.LOGIN_MESSAGE_PARAM, "")
        self.error = LOGIN_ERRORS.get(code, "")
        if code in LOGIN_NOTICES:
            self.notice = LOGIN_NOTICES[code]


class ForgotIdentifiantState(SessionState):
    error: str = ""
    done: bool = False

    @public
    def reset_form(self):
        self.error, self.done = "", False

    @public
    async def submit(self, form: dict):
        email = _field(form, "email").strip()
        if not email:
            self.error = MSG_FILL_EMAIL
            return
        client = self._client()
        login_url = absolute_url(routes.LOGIN)

        await in_transaction(lambda s: recovery.request_identifiant_reminder(
            s, email=email, login_url=login_url, client_address=client["client_address"],
        ))
        self.error, self.done = "", True


class ForgotPasswordState(SessionState):
    error: str = ""
    done: bool = False

    @public
    def reset_form(self):
        self.error, self.done = "", False

    @public
    async def submit(self, form: dict):
        identifiant = _field(form, "identifiant", 64).strip()
        if not identifiant:
            self.error = MSG_FILL_IDENTIFIANT
            return
        client = self._client()

        await in_transaction(lambda s: recovery.request_password_reset(
            s, identifiant=identifiant,
            reset_url_for=lambda token: absolute_url(
                routes.RESET_PASSWORD, **{routes.RESET_TOKEN_PARAM: token}),
            client_address=client["client_address"],
        ))
        self.error, self.done = "", True


class ResetPasswordState(SessionState):
    """The page opened from the emailed link."""

    link_valid: bool = False
    question: str = ""
    has_question: bool = False
    errors: list[str] = []

    def _token(self) -> str:
        return self.router.url.query_parameters.get(routes.RESET_TOKEN_PARAM, "")

    @public
    async def load(self):
        token = self._token()

        def work(session):
            found = recovery.live_reset_token(session, token)
            return None if found is None else (found[1].secret_question or "")

        question = await in_transaction(work)
        self.errors = []
        self.link_valid = question is not None
        self.question = question or ""
        self.has_question = bool(question)

    @public
    async def submit(self, form: dict):
        token = self._token()
        client = self._client()
        result = await in_transaction(
            lambda s: recovery.complete_password_reset(
                s, token=token, answer=_field(form, "answer"),
                new_password=_field(form, "new_password", MAX_LENGTH + 1),
                confirmation=_field(form, "confirmation", MAX_LENGTH + 1),
                client_address=client["client_address"],
            )
        )
        if result.link_burnt:
            self.link_valid = False
        if not result.ok:
            self.errors = result.errors
            return None
        self.errors = []
        self.notice = MSG_PASSWORD_CHANGED
        return rx.redirect(routes.LOGIN)


class FirstLoginState(SessionState):
    """« Changement du mot de passe » then « Positionnement de la question secrète »."""

    errors: list[str] = []

    @guarded(Audience.PASSWORD_CHANGE)
    def load_password_step(self):
        self.errors = []

    @guarded(Audience.SECRET_QUESTION)
    def load_question_step(self):
        self.errors = []

    @guarded(Audience.PASSWORD_CHANGE)
    async def change_password(self, form: dict):
        who = principal()
        client = self._client()
        result = await in_transaction(lambda s: first_login.change_password(
            s, user=access.user_of(s, who), keep_session_id=who.session_id,
            old_password=_field(form, "old_password", MAX_LENGTH + 1),
            new_password=_field(form, "new_password", MAX_LENGTH + 1),
            confirmation=_field(form, "confirmation", MAX_LENGTH + 1), **client,
        ))
        self.errors = result.errors
        if not result.ok:
            return None
        return rx.redirect(routes.FIRST_LOGIN_SECRET_QUESTION)

    @guarded(Audience.SECRET_QUESTION)
    async def set_secret_question(self, form: dict):
        who = principal()
        client_address = self._client()["client_address"]
        errors = await in_transaction(lambda s: first_login.set_secret_question(
            s, user=access.user_of(s, who), question=_field(form, "question", 300),
            answer=_field(form, "answer", 300), client_address=client_address,
        ))
        self.errors = errors
        if errors:
            return None
        return rx.redirect(routes.STAFF_HOME if who.is_staff else routes.PRIVATE_HOME)
