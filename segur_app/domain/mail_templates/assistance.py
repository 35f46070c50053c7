"""Assistance emails: the acknowledgement of a ticket and the ASP support's answer."""

from __future__ import annotations

from segur_app.domain.mail_templates.layout import (
    MailContent,
    assistance_link,
    assistance_paragraph,
    render,
)


def assistance_acknowledgement(
    number: str, category: str, *, assistance_url: str | None = None
) -> MailContent:
    """Acknowledgement of a message sent with « Contacter l'assistance »."""
    url = assistance_link(assistance_url)
    body = [
        f"Votre demande d'assistance {number} (« {category} ») a bien été réceptionnée "
        "par l'Agence. Elle sera traitée dans les meilleurs délais.",
        "La réponse de l'assistance vous sera envoyée par courriel à cette adresse. "
        "Aussi, nous vous invitons à consulter régulièrement les messages reçus y compris "
        "dans les courriers indésirables (ou spams).",
        "Pour toute nouvelle question, vous pouvez contacter l'assistance via le lien "
        f"{url} en rappelant le numéro {number}.",
    ]
    return render(f"Accusé de réception de votre demande d'assistance {number}", body,
                   links=[url])


def assistance_answer(
    number: str,
    answer: str,
    *,
    tickets_url: str | None = None,
    assistance_url: str | None = None,
) -> MailContent:
    """The ASP support's answer to an assistance request."""
    url = assistance_link(assistance_url)
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
    body.append(assistance_paragraph(url))
    return render(f"Réponse à votre demande d'assistance {number}", body, links=links)
