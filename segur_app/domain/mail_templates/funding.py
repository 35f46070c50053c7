"""Funding request emails: deposit acknowledgements (avance, solde) and the decision."""

from __future__ import annotations

from datetime import date, datetime

from segur_app.domain.mail_templates.layout import (
    PROGRAMME,
    MailContent,
    assistance_link,
    assistance_paragraph,
    format_date_fr,
    render,
)


def _document_paragraph(label: str, url: str) -> str:
    """The link to a generated PDF (served after login, to its owner and to staff)."""
    return (
        f"{label} est disponible au format PDF dans votre espace personnel : {url} "
        "(connexion requise)."
    )


def deposit_confirmation(
    dossier_number: str,
    deposit_date: date | datetime | str,
    *,
    assistance_url: str | None = None,
    receipt_url: str | None = None,
) -> MailContent:
    """Acknowledgement of a funding request (text of the user guide)."""
    url = assistance_link(assistance_url)
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
        assistance_paragraph(url),
    ]
    return render(
        f"Accusé de réception de votre demande de financement {dossier_number}",
        body,
        links=[url, receipt_url or ""],
    )


#: « Demande d'avance » and « demande de solde » are acknowledged in the same words.
advance_deposit_confirmation = deposit_confirmation
balance_deposit_confirmation = deposit_confirmation


def funding_decision(
    dossier_number: str,
    validated: bool,
    reason: str | None = None,
    *,
    assistance_url: str | None = None,
    letter_url: str | None = None,
) -> MailContent:
    """Result of the instruction of a funding request (validée / rejetée)."""
    url = assistance_link(assistance_url)
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
    body.append(assistance_paragraph(url))
    return render(subject, body, links=[url, letter_url or ""])
