"""Texts of the automatic emails sent by the portal (French, plain Python).

Each function returns a :class:`MailContent` ``(subject, text, html)`` that the
caller hands to :func:`segur_app.domain.mail.queue_email` together with the
matching :class:`TemplateName`::

    subject, text, html = advance_deposit_confirmation("FINSAS009250", deposited_at)
    queue_email(session, template=TemplateName.ADVANCE_DEPOSIT_CONFIRMATION,
                to=user.email, subject=subject, text=text, html=html,
                funding_request_id=request.id)

Every message opens with "Madame, Monsieur,", closes with the Agency's
signature and the "do not reply" footer. The HTML alternative is derived from
the very same paragraphs, HTML-escaped as a whole (so every inserted value is
escaped); only the URLs we pass explicitly are turned into links.
"""

from __future__ import annotations

import enum
import html as html_lib
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from typing import NamedTuple

from segur_app import routes
from segur_app.domain.dates import PARIS
from segur_app.links import absolute_url


GREETING = "Madame, Monsieur,"
CLOSING = "Cordialement"
SIGNATURE = "L'Agence de services et de paiement."
FOOTER = "Ce message a été généré automatiquement, merci de ne pas y répondre."
PROGRAMME = "« plateforme numérique Service d'Accès aux Soins »"


class TemplateName(enum.StrEnum):
    """Identifiers stored in ``EmailMessage.template``."""

    ADVANCE_DEPOSIT_CONFIRMATION = "advance_deposit_confirmation"
    BALANCE_DEPOSIT_CONFIRMATION = "balance_deposit_confirmation"
    FUNDING_DECISION = "funding_decision"
    ENROLMENT_ACKNOWLEDGEMENT = "enrolment_acknowledgement"
    ENROLMENT_DECISION = "enrolment_decision"
    ACCOUNT_CREDENTIALS = "account_credentials"
    PASSWORD_RESET = "password_reset"
    IDENTIFIANT_REMINDER = "identifiant_reminder"
    PASSWORD_CHANGED = "password_changed"
    ASSISTANCE_ACKNOWLEDGEMENT = "assistance_acknowledgement"
    ASSISTANCE_ANSWER = "assistance_answer"
    # « Demande de compléments » (texts in correction_mails.py)
    CORRECTION_REQUEST = "correction_request"
    CORRECTION_REMINDER = "correction_reminder"
    CORRECTIONS_RECEIVED = "corrections_received"


#: Templates whose body carries a secret (temporary password, reset link): the
#: mail service blanks their stored body once the message has been sent.
SENSITIVE_TEMPLATES: frozenset[str] = frozenset(
    {TemplateName.ACCOUNT_CREDENTIALS, TemplateName.PASSWORD_RESET}
)


class MailContent(NamedTuple):
    subject: str
    text: str
    html: str


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def format_date_fr(value: date | datetime | str) -> str:
    """``23/05/2023``; aware datetimes are shown in metropolitan French time."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(PARIS)
        return value.strftime("%d/%m/%Y")
    return value.strftime("%d/%m/%Y")


def format_datetime_fr(value: datetime) -> str:
    """``23/05/2023 à 14h05`` in metropolitan French time (naive = UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    local = value.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local:%Hh%M}"


def _assistance(url: str | None) -> str:
    """The link to « Contacter l'assistance » (default: this portal's page)."""
    return url or absolute_url(routes.ASSISTANCE)


def _assistance_paragraph(url: str) -> str:
    return (
        "Pour toute information complémentaire, vous pouvez contacter "
        f"l'assistance mail via le lien {url}."
    )


def _render(subject: str, body: Sequence[str], *, links: Iterable[str] = ()) -> MailContent:
    """Wrap ``body`` paragraphs with greeting/signature/footer, in text and HTML."""
    paragraphs = [GREETING, *body, CLOSING, SIGNATURE]
    text = "\n\n".join([*paragraphs, FOOTER])

    def escape_text(value: str) -> str:
        return html_lib.escape(value, quote=False)

    anchors = {
        escape_text(url): f'<a href="{html_lib.escape(url)}">{escape_text(url)}</a>'
        for url in links
        if url
    }

    # One pass, longest URL first, so that a URL prefix of another never nests.
    pattern = (
        re.compile("|".join(re.escape(u) for u in sorted(anchors, key=len, reverse=True)))
        if anchors
        else None
    )

    def to_html(paragraph: str) -> str:
        escaped = escape_text(paragraph)
        if pattern is not None:
            escaped = pattern.sub(lambda m: anchors[m.group(0)], escaped)
        return escaped.replace("\n", "<br>\n")

    html_paragraphs = "\n".join(f"<p>{to_html(p)}</p>" for p in paragraphs)
    html = (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape_text(subject)}</title>\n</head>\n"
        '<body style="font-family: Arial, sans-serif; color: #161616;">\n'
        f"{html_paragraphs}\n"
        f'<p style="color: #666666; font-size: 0.85em;">{escape_text(FOOTER)}</p>\n'
        "</body>\n</html>\n"
    )
    return MailContent(subject=subject, text=text, html=html)


# --------------------------------------------------------------------------
# Funding requests
# --------------------------------------------------------------------------


def _document_paragraph(label: str, url: str) -> str:
    """The link to a generated PDF (served after login, to its owner and to staff)."""
    return (
        f"{label} est disponible au format PDF dans votre espace personnel : {url} "
        "(connexion requise)."
    )


def _deposit_confirmation(
    dossier_number: str, deposit_date: date | datetime | str, assistance_url: str | None,
    receipt_url: str | None = None,
) -> MailContent:
    url = _assistance(assistance_url)
    body = [
        f"Votre demande de financement {dossier_number} dans le cadre du financement "
        f"de la {PROGRAMME} en date du {format_date_fr(deposit_date)} a bien été "
        "réceptionnée par l'Agence. Elle est en cours de traitement.",
        "Dès que votre demande sera examinée, vous recevrez un autre courriel pour "
        "vous informer du résultat de l'instruction. Aussi, nous vous invitons à "
        "consulter régulièrement les messages reçus y compris dans les courriers "
        "indésirables (ou spams) sur l'adresse électronique que vous nous avez "
        "communiquée.",
        *([_document_paragraph("L'accusé de dépôt", receipt_url)] if receipt_url else []),
        _assistance_paragraph(url),
    ]
    return _render(
        f"Accusé de réception de votre demande de financement {dossier_number}",
        body,
        links=[url, receipt_url or ""],
    )


def advance_deposit_confirmation(
    dossier_number: str,
    deposit_date: date | datetime | str,
    *,
    assistance_url: str | None = None,
    receipt_url: str | None = None,
) -> MailContent:
    """Acknowledgement of a "demande d'avance" (text of the user guide)."""
    return _deposit_confirmation(dossier_number, deposit_date, assistance_url, receipt_url)


def balance_deposit_confirmation(
    dossier_number: str,
    deposit_date: date | datetime | str,
    *,
    assistance_url: str | None = None,
    receipt_url: str | None = None,
) -> MailContent:
    """Acknowledgement of a "demande de solde" (same wording as the advance)."""
    return _deposit_confirmation(dossier_number, deposit_date, assistance_url, receipt_url)


def funding_decision(
    dossier_number: str,
    validated: bool,
    reason: str | None = None,
    *,
    assistance_url: str | None = None,
    letter_url: str | None = None,
) -> MailContent:
    """Result of the instruction of a funding request (validée / rejetée)."""
    url = _assistance(assistance_url)
    if validated:
        subject = f"Votre demande de financement {dossier_number} a été validée"
        body = [
            f"Votre demande de financement {dossier_number} dans le cadre du "
            f"financement de la {PROGRAMME} a été validée par l'Agence.",
            "Le versement correspondant sera effectué sur les coordonnées bancaires "
            "que vous avez communiquées.",
        ]
    else:
        subject = f"Votre demande de financement {dossier_number} a été rejetée"
        decision = (
            f"Votre demande de financement {dossier_number} dans le cadre du "
            f"financement de la {PROGRAMME} a été rejetée par l'Agence."
        )
        body = [decision]
        if reason and reason.strip():
            body.append(f"Motif du rejet : {reason.strip()}")
    body.append(
        "Vous pouvez consulter le détail de votre dossier sur le portail Ségur Numérique."
    )
    if letter_url:
        body.append(_document_paragraph("Le courrier de décision", letter_url))
    body.append(_assistance_paragraph(url))
    return _render(subject, body, links=[url, letter_url or ""])


# --------------------------------------------------------------------------
# Enrolment and accounts
# --------------------------------------------------------------------------


def enrolment_acknowledgement(
    number: str, *, assistance_url: str | None = None, receipt_url: str | None = None
) -> MailContent:
    """Acknowledgement of a "demande d'enrôlement"."""
    url = _assistance(assistance_url)
    body = [
        f"Votre demande d'enrôlement {number} sur le portail Ségur Numérique a bien "
        "été réceptionnée par l'Agence. Elle est en cours de traitement.",
        "Dès que votre demande sera examinée, vous recevrez un autre courriel pour "
        "vous informer du résultat de l'instruction.",
    ]
    if receipt_url:
        body.append(
            f"L'accusé de dépôt est disponible au format PDF à l'adresse {receipt_url} : "
            "il s'ouvre après connexion au portail, une fois votre demande validée et vos "
            "identifiants reçus ; il figure aussi dans « Suivi des demandes d'enrôlement »."
        )
    body.append(_assistance_paragraph(url))
    return _render(
        f"Accusé de réception de votre demande d'enrôlement {number}", body,
        links=[url, receipt_url or ""],
    )


def enrolment_decision(
    number: str,
    approved: bool,
    reason: str | None = None,
    *,
    assistance_url: str | None = None,
) -> MailContent:
    """Result of the instruction of an enrolment (validée / rejetée)."""
    url = _assistance(assistance_url)
    if approved:
        subject = f"Votre demande d'enrôlement {number} a été validée"
        body = [
            f"Votre demande d'enrôlement {number} a été validée par l'Agence.",
            "Vos identifiants de connexion au portail Ségur Numérique vous sont "
            "adressés par un courriel séparé.",
        ]
    else:
        subject = f"Votre demande d'enrôlement {number} a été rejetée"
        body = [f"Votre demande d'enrôlement {number} a été rejetée par l'Agence."]
        if reason and reason.strip():
            body.append(f"Motif du rejet : {reason.strip()}")
    body.append(_assistance_paragraph(url))
    return _render(subject, body, links=[url])


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
    url = _assistance(assistance_url)
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
        _assistance_paragraph(url),
    ]
    return _render(
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
    url = _assistance(assistance_url)
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
        _assistance_paragraph(url),
    ]
    return _render(
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
    url = _assistance(assistance_url)
    login = login_url or absolute_url(routes.LOGIN)
    listed = "\n".join(f"- {identifiant}" for identifiant in identifiants)
    body = [
        "Vous avez demandé le rappel de votre identifiant de connexion au portail "
        "Ségur Numérique. L'adresse électronique de votre demande est associée au(x) "
        f"identifiant(s) suivant(s) :\n{listed}",
        f"Pour vous connecter : {login}",
        "Si vous n'êtes pas à l'origine de cette demande, vous pouvez ignorer ce message.",
        _assistance_paragraph(url),
    ]
    return _render("Rappel de votre identifiant — portail Ségur Numérique", body,
                   links=[login, url])


def password_changed(*, assistance_url: str | None = None) -> MailContent:
    """Notice sent after every password change or reset."""
    url = _assistance(assistance_url)
    body = [
        "Le mot de passe de votre compte sur le portail Ségur Numérique vient d'être "
        "modifié. Toutes vos sessions ouvertes ont été fermées.",
        "Si vous n'êtes pas à l'origine de ce changement, contactez immédiatement "
        "l'assistance.",
        _assistance_paragraph(url),
    ]
    return _render("Modification de votre mot de passe — portail Ségur Numérique", body,
                   links=[url])


# --------------------------------------------------------------------------
# Assistance
# --------------------------------------------------------------------------


def assistance_acknowledgement(
    number: str, category: str, *, assistance_url: str | None = None
) -> MailContent:
    """Acknowledgement of a message sent with « Contacter l'assistance »."""
    url = _assistance(assistance_url)
    body = [
        f"Votre demande d'assistance {number} (« {category} ») a bien été réceptionnée "
        "par l'Agence. Elle sera traitée dans les meilleurs délais.",
        "La réponse de l'assistance vous sera envoyée par courriel à cette adresse. "
        "Aussi, nous vous invitons à consulter régulièrement les messages reçus y compris "
        "dans les courriers indésirables (ou spams).",
        "Pour toute nouvelle question, vous pouvez contacter l'assistance via le lien "
        f"{url} en rappelant le numéro {number}.",
    ]
    return _render(f"Accusé de réception de votre demande d'assistance {number}", body,
                   links=[url])


def assistance_answer(
    number: str,
    answer: str,
    *,
    tickets_url: str | None = None,
    assistance_url: str | None = None,
) -> MailContent:
    """The ASP support's answer to an assistance request."""
    url = _assistance(assistance_url)
    body = [
        f"L'assistance de l'ASP a répondu à votre demande d'assistance {number} :",
        answer.strip(),
    ]
    links = [url]
    if tickets_url:
        body.append(
            "Vous pouvez également retrouver cette réponse dans votre espace personnel, "
            f"rubrique « Mes demandes d'assistance » : {tickets_url}."
        )
        links.append(tickets_url)
    body.append(_assistance_paragraph(url))
    return _render(f"Réponse à votre demande d'assistance {number}", body, links=links)


# --------------------------------------------------------------------------
# For the templates of other modules (correction_mails.py)
# --------------------------------------------------------------------------


def render(subject: str, body: Sequence[str], *, links: Iterable[str] = ()) -> MailContent:
    """Greeting, ``body`` paragraphs, signature and footer, in text and HTML."""
    return _render(subject, body, links=links)


def assistance_paragraph(url: str | None = None) -> str:
    """« Pour toute information complémentaire… » with the assistance link."""
    return _assistance_paragraph(_assistance(url))
