"""« Mon compte »: password, secret question, contact email, logins, sessions."""

from __future__ import annotations


from segur_app import routes
from segur_app.links import absolute_url
from segur_app.domain import access
from segur_app.domain.funding import deposit
from segur_app.domain.access import Audience
from segur_app.domain.accounts.profile import LoginView
from segur_app.domain.accounts import first_login, profile, sessions
from segur_app.domain.funding.deposit import SupplierSummary
from segur_app.domain.passwords import MAX_LENGTH
from segur_app.state.base import SessionState, guarded, in_transaction, principal, public


def _field(form: dict, name: str, limit: int = 254) -> str:
    return str(form.get(name) or "")[:limit]


class AccountState(SessionState):
    email: str = ""
    summary: SupplierSummary | None = None
    logins: list[LoginView] = []
    password_errors: list[str] = []
    question_errors: list[str] = []
    email_errors: list[str] = []
    message: str = ""

    async def _load_account(self) -> None:
        who = principal()

        def work(session):
            user = access.user_of(session, who)
            summary = (deposit.supplier_summary(session, user.supplier_id)
                       if user.supplier_id else None)
            return user.email, summary, profile.recent_logins(session, user_id=user.id)

        self.email, self.summary, self.logins = await in_transaction(work)

    @guarded(Audience.USER)
    async def load(self):
        self.message = ""
        self.password_errors, self.question_errors, self.email_errors = [], [], []
        await self._load_account()

    async def _with_user(self, action):
        """Run ``action(session, user)`` for the user the handler is guarded for."""
        who = principal()
        return await in_transaction(lambda session: action(session, access.user_of(session, who)))

    @guarded(Audience.USER)
    async def change_password(self, form: dict):
        self.message = ""
        client = self._client()
        keep = principal().session_id
        result = await self._with_user(lambda s, user: first_login.change_password(
            s, user=user, old_password=_field(form, "old_password", MAX_LENGTH + 1),
            new_password=_field(form, "new_password", MAX_LENGTH + 1),
            confirmation=_field(form, "confirmation", MAX_LENGTH + 1),
            keep_session_id=keep, **client,
        ))
        self.password_errors = result.errors
        if result.ok:
            self.message = ("Votre mot de passe a été modifié. Vos autres sessions ont été "
                            "fermées et un courriel de confirmation vous a été envoyé.")
            await self._load_account()

    @guarded(Audience.USER)
    async def change_question(self, form: dict):
        self.message = ""
        address = self._client()["client_address"]
        errors = await self._with_user(lambda s, user: profile.change_secret_question(
            s, user=user, password=_field(form, "password", MAX_LENGTH + 1),
            question=_field(form, "question", 300), answer=_field(form, "answer", 300),
            client_address=address,
        ))
        self.question_errors = errors
        if not errors:
            self.message = "Votre question secrète a été modifiée."

    @guarded(Audience.USER)
    async def change_email(self, form: dict):
        self.message = ""
        errors = await self._with_user(lambda s, user: profile.request_email_change(
            s, user=user, password=_field(form, "password", MAX_LENGTH + 1),
            new_email=_field(form, "email"), confirmation=_field(form, "email_confirmation"),
            confirm_url_for=lambda t: absolute_url(
                routes.CONFIRM_EMAIL, **{routes.RESET_TOKEN_PARAM: t}),
        ))
        self.email_errors = errors
        if not errors:
            self.message = ("Un lien de confirmation a été envoyé à la nouvelle adresse. "
                            "Votre adresse actuelle reste valable jusqu'à sa confirmation.")

    @guarded(Audience.USER)
    async def end_other_sessions(self):
        keep = principal().session_id
        count = await self._with_user(
            lambda s, user: sessions.revoke_other_sessions(s, user_id=user.id, keep_session_id=keep)
        )
        self.message = f"{count} autre(s) session(s) fermée(s)."


class ConfirmEmailState(SessionState):
    confirmed_email: str = ""
    done: bool = False

    @public
    async def load(self):
        token = self.router.url.query_parameters.get(routes.RESET_TOKEN_PARAM, "")
        email = await in_transaction(lambda s: profile.confirm_email_change(s, token=token))
        self.confirmed_email = email or ""
        self.done = True
