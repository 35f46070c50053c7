"""Access to the private portal: login, first login, forgotten identifiant/password.

Form values arrive through ``on_submit`` (uncontrolled inputs): passwords are
never stored in state vars.
"""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.domain import accounts
from segur_app.domain.passwords import MAX_LENGTH
from segur_app.state.base import SessionState, in_transaction, resolve_user, snapshot

MSG_FILL_LOGIN = "Veuillez saisir votre identifiant et votre mot de passe."
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
MSG_PASSWORD_CHANGED = "Votre mot de passe a été modifié. Vous pouvez vous connecter."


def _field(form: dict, name: str, limit: int = 254) -> str:
    return str(form.get(name) or "")[:limit]


class LoginState(SessionState):
    error: str = ""

    @rx.event
    def clear_messages(self):
        self.error = ""

    @rx.event
    async def submit(self, form: dict):
        identifiant = _field(form, "identifiant", 64).strip()
        password = _field(form, "password", MAX_LENGTH + 1)
        self.notice = ""
        if not identifiant or not password:
            self.error = MSG_FILL_LOGIN
            return None
        client = self._client()
        result = await in_transaction(
            lambda s: accounts.authenticate(s, identifiant=identifiant, password=password,
                                            **client)
        )
        if not result.ok:
            self.error = result.error
            return None
        self.error = ""
        self.session_token = result.token
        token = result.token
        _, user = await in_transaction(lambda s: resolve_user(s, token))
        self._remember(user)
        return rx.redirect(user.home_route)


class ForgotIdentifiantState(SessionState):
    error: str = ""
    done: bool = False

    @rx.event
    def reset_form(self):
        self.error, self.done = "", False

    @rx.event
    async def submit(self, form: dict):
        email = _field(form, "email").strip()
        if not email:
            self.error = MSG_FILL_EMAIL
            return
        client = self._client()
        login_url = get_settings().public_url + routes.LOGIN

        await in_transaction(lambda s: accounts.request_identifiant_reminder(
            s, email=email, login_url=login_url, client_address=client["client_address"],
        ))
        self.error, self.done = "", True


class ForgotPasswordState(SessionState):
    error: str = ""
    done: bool = False

    @rx.event
    def reset_form(self):
        self.error, self.done = "", False

    @rx.event
    async def submit(self, form: dict):
        identifiant = _field(form, "identifiant", 64).strip()
        if not identifiant:
            self.error = MSG_FILL_IDENTIFIANT
            return
        client = self._client()
        base = get_settings().public_url + routes.RESET_PASSWORD

        await in_transaction(lambda s: accounts.request_password_reset(
            s, identifiant=identifiant,
            reset_url_for=lambda token: f"{base}?{routes.RESET_TOKEN_PARAM}={token}",
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

    @rx.event
    async def load(self):
        token = self._token()

        def work(session):
            found = accounts.live_reset_token(session, token)
            return None if found is None else (found[1].secret_question or "")

        question = await in_transaction(work)
        self.errors = []
        self.link_valid = question is not None
        self.question = question or ""
        self.has_question = bool(question)

    @rx.event
    async def submit(self, form: dict):
        token = self._token()
        client = self._client()
        result = await in_transaction(
            lambda s: accounts.complete_password_reset(
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
        self._forget()
        self.session_token = ""
        self.notice = MSG_PASSWORD_CHANGED
        return rx.redirect(routes.LOGIN)


class FirstLoginState(SessionState):
    """« Changement du mot de passe » then « Positionnement de la question secrète »."""

    errors: list[str] = []

    @rx.event
    async def load_password_step(self):
        self.errors = []
        _, redirect = await self._guard(steps=("change_password",))
        return redirect

    @rx.event
    async def load_question_step(self):
        self.errors = []
        _, redirect = await self._guard(steps=("secret_question",))
        return redirect

    @rx.event
    async def change_password(self, form: dict):
        _, redirect = await self._guard(steps=("change_password",))
        if redirect:
            return redirect
        token = self.session_token
        client = self._client()

        def work(session):
            user, _ = resolve_user(session, token)
            if user is None:
                return None, None
            result = accounts.change_password(
                session, user=user, old_password=_field(form, "old_password", MAX_LENGTH + 1),
                new_password=_field(form, "new_password", MAX_LENGTH + 1),
                confirmation=_field(form, "confirmation", MAX_LENGTH + 1), **client,
            )
            return result, snapshot(user)

        result, user = await in_transaction(work)
        if result is None:
            return (await self._guard())[1]
        if not result.ok:
            self.errors = result.errors
            return None
        self.errors = []
        self.session_token = result.token
        return rx.redirect(user.home_route)

    @rx.event
    async def set_secret_question(self, form: dict):
        _, redirect = await self._guard(steps=("secret_question",))
        if redirect:
            return redirect
        token = self.session_token
        client_address = self._client()["client_address"]

        def work(session):
            user, _ = resolve_user(session, token)
            if user is None:
                return None, None
            errors = accounts.set_secret_question(
                session, user=user, question=_field(form, "question", 300),
                answer=_field(form, "answer", 300), client_address=client_address,
            )
            return errors, snapshot(user)

        errors, user = await in_transaction(work)
        if errors is None:
            return (await self._guard())[1]
        if errors:
            self.errors = errors
            return None
        self.errors = []
        return rx.redirect(user.home_route)
