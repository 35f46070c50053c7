"""Account emails: credentials, password reset and change, identifiant reminder, email change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from segur_app import routes
from segur_app.domain.mail_templates.layout import (
    MailContent,
    assistance_link,
    assistance_paragraph,
    format_datetime_fr,
    render,
)
from segur_app.links import absolute_url


def account_credentials(
    identifiant: str,
    temporary_password: str,
    *,
    expires_at: datetime | None = None,
    login_url: str | None = None,
    assistance_url: str | None = None,
) -> MailContent:
    """Portal account opening: identifiant and single-use temporary password.

    The stored body is blanked by the mail service once sent
    (see :data:`SENSITIVE_TEMPLATES`).
    """
    url = assistance_link(assistance_url)
    login = login_url or absolute_url(routes.LOGIN)
    validity = (
        f" Il est valable jusqu'au {format_datetime_fr(expires_at)}."
        if expires_at is not None
        else ""
    )
    body = [
        "Votre compte d'accès au portail Ségur Numérique a été créé.",
        f"Identifiant : {identifiant}\nMot de passe temporaire : {temporary_password}",
        "Ce mot de passe temporaire doit être changé lors de votre première "
        f"connexion.{validity} Vous choisirez ensuite une question secrète.",
        f"Pour vous connecter : {login}",
        assistance_paragraph(url),
    ]
    return render(
        "Vos identifiants de connexion au portail Ségur Numérique",
        body,
        links=[login, url],
    )


def password_reset(
    reset_url: str,
    *,
    expires_at: datetime | None = None,
    assistance_url: str | None = None,
) -> MailContent:
    """"J'ai oublié mon mot de passe": single-use reset link."""
    url = assistance_link(assistance_url)
    validity = (
        f" Ce lien est valable jusqu'au {format_datetime_fr(expires_at)} et ne peut "
        "être utilisé qu'une seule fois."
        if expires_at is not None
        else " Ce lien ne peut être utilisé qu'une seule fois."
    )
    body = [
        "Une demande de réinitialisation du mot de passe de votre compte sur le "
        "portail Ségur Numérique a été effectuée.",
        f"Pour choisir un nouveau mot de passe, utilisez le lien suivant : {reset_url}"
        f"\n{validity.strip()}",
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre "
        "mot de passe actuel reste inchangé.",
        assistance_paragraph(url),
    ]
    return render(
        "Réinitialisation de votre mot de passe — portail Ségur Numérique",
        body,
        links=[reset_url, url],
    )


def identifiant_reminder(
    identifiants: Sequence[str],
    *,
    login_url: str | None = None,
    assistance_url: str | None = None,
) -> MailContent:
    """"J'ai oublié mon identifiant": the identifiant(s) attached to this address."""
    url = assistance_link(assistance_url)
    login = login_url or absolute_url(routes.LOGIN)
    listed = "\n".join(f"- {identifiant}" for identifiant in identifiants)
    body = [
        "Vous avez demandé le rappel de votre identifiant de connexion au portail "
        "Ségur Numérique. L'adresse électronique de votre demande est associée au(x) "
        f"identifiant(s) suivant(s) :\n{listed}",
        f"Pour vous connecter : {login}",
        "Si vous n'êtes pas à l'origine de cette demande, vous pouvez ignorer ce message.",
        assistance_paragraph(url),
    ]
    return render("Rappel de votre identifiant — portail Ségur Numérique", body,
                   links=[login, url])


def password_changed(*, assistance_url: str | None = None) -> MailContent:
    """Notice sent after every password change or reset."""
    url = assistance_link(assistance_url)
    body = [
        "Le mot de passe de votre compte sur le portail Ségur Numérique vient d'être "
        "modifié. Toutes vos sessions ouvertes ont été fermées.",
        "Si vous n'êtes pas à l'origine de ce changement, contactez immédiatement "
        "l'assistance.",
        assistance_paragraph(url),
    ]
    return render("Modification de votre mot de passe — portail Ségur Numérique", body,
                   links=[url])


def email_change_confirmation(identifiant: str, confirm_url: str) -> MailContent:
    """« Mon compte »: the link, sent to the new address, that confirms it (24 hours)."""
    body = [
        "Pour confirmer la nouvelle adresse électronique de votre compte "
        f"{identifiant} sur le portail Ségur Numérique, ouvrez ce lien (valable 24 heures) :"
        f"\n{confirm_url}",
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.",
    ]
    return render("Confirmez votre nouvelle adresse électronique — portail Ségur Numérique",
                  body, links=[confirm_url])


def email_change_notice(identifiant: str, new_email: str) -> MailContent:
    """« Mon compte »: the notice, sent to the old address, that a change was asked for."""
    body = [
        f"Un changement de l'adresse électronique de votre compte {identifiant} vers "
        f"{new_email} a été demandé. Il ne prendra effet qu'après confirmation depuis la "
        "nouvelle adresse.",
        "Si vous n'êtes pas à l'origine de cette demande, changez votre mot de passe et "
        "contactez l'assistance.",
    ]
    return render("Changement d'adresse électronique demandé — portail Ségur Numérique", body)
