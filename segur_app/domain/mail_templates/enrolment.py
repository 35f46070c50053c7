"""Enrolment emails: the acknowledgement of a « demande d'enrôlement » and its decision."""

from __future__ import annotations

from segur_app.domain.mail_templates.layout import (
    MailContent,
    assistance_link,
    assistance_paragraph,
    render,
)


def enrolment_acknowledgement(
    number: str, *, assistance_url: str | None = None, receipt_url: str | None = None
) -> MailContent:
    """Acknowledgement of a "demande d'enrôlement"."""
    url = assistance_link(assistance_url)
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
    body.append(assistance_paragraph(url))
    return render(
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
    url = assistance_link(assistance_url)
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
    body.append(assistance_paragraph(url))
    return render(subject, body, links=[url])
