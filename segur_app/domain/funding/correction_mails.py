"""Texts of the « Demande de compléments » emails (same layout as mail_templates.py).

* to the supplier: the request (each piece and why), the reminder 7 days
  before the deadline;
* to the agent who asked: the supplier sent the pieces (demarches-simplifiees.fr
  likewise notifies the instructeurs following a dossier).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from segur_app import routes
from segur_app.domain.mail_templates import (
    PROGRAMME,
    MailContent,
    assistance_paragraph,
    render,
)
from segur_app.links import absolute_url


@dataclass(frozen=True)
class AskedPieceText:
    """One piece to replace, as the email lists it."""

    label: str
    reason: str
    comment: str = ""

    def line(self) -> str:
        text = f"- {self.label} : {self.reason}"
        return f"{text} ({self.comment})" if self.comment else text


def _pieces(pieces: Sequence[AskedPieceText]) -> str:
    return "\n".join(piece.line() for piece in pieces)


def correction_request(
    dossier_number: str,
    pieces: Sequence[AskedPieceText],
    due_on: str,
    message: str = "",
    *,
    tracking_url: str | None = None,
    assistance_url: str | None = None,
) -> MailContent:
    """Staff ask for pieces to be replaced before ``due_on`` (« 23/06/2023 »)."""
    url = tracking_url or absolute_url(routes.FUNDING_TRACKING)
    body = [
        f"L'instruction de votre demande de financement {dossier_number} dans le cadre du "
        f"financement de la {PROGRAMME} nécessite des compléments. Les pièces suivantes "
        "ne sont pas conformes :",
        _pieces(pieces),
    ]
    if message.strip():
        body.append(f"Message de l'instructeur : {message.strip()}")
    body += [
        f"Merci de déposer les pièces demandées avant le {due_on} depuis l'écran « Suivi de "
        f"ma demande de financement » du portail Ségur Numérique : {url}",
        "Sans réponse dans ce délai, votre demande pourra être rejetée.",
        assistance_paragraph(assistance_url),
    ]
    subject = f"Demande de compléments pour votre demande de financement {dossier_number}"
    return render(subject, body, links=[url, assistance_url or absolute_url(routes.ASSISTANCE)])


def correction_reminder(
    dossier_number: str,
    pieces: Sequence[AskedPieceText],
    due_on: str,
    *,
    tracking_url: str | None = None,
    assistance_url: str | None = None,
) -> MailContent:
    """Sent once, 7 days before the deadline, while the pieces are still awaited."""
    url = tracking_url or absolute_url(routes.FUNDING_TRACKING)
    body = [
        f"Nous vous rappelons que des compléments sont attendus pour votre demande de "
        f"financement {dossier_number} avant le {due_on} :",
        _pieces(pieces),
        f"Vous pouvez déposer les pièces demandées depuis l'écran « Suivi de ma demande de "
        f"financement » du portail Ségur Numérique : {url}",
        "Sans réponse dans ce délai, votre demande pourra être rejetée.",
        assistance_paragraph(assistance_url),
    ]
    subject = f"Rappel : compléments attendus pour votre demande de financement {dossier_number}"
    return render(subject, body, links=[url, assistance_url or absolute_url(routes.ASSISTANCE)])


def corrections_received(
    dossier_number: str,
    company_name: str,
    piece_labels: Sequence[str],
    comment: str = "",
    *,
    dossier_url: str | None = None,
) -> MailContent:
    """To the agent who asked: the supplier sent the pieces, the dossier is back « En cours »."""
    url = dossier_url or absolute_url(routes.STAFF_FUNDING_REQUEST,
                                      **{routes.PARAM_NUMBER: dossier_number})
    body = [
        f"Le fournisseur {company_name} a envoyé les compléments demandés pour le dossier "
        f"{dossier_number} :",
        "\n".join(f"- {label}" for label in piece_labels),
    ]
    if comment.strip():
        body.append(f"Commentaire du fournisseur : {comment.strip()}")
    body.append(f"Le dossier est de nouveau « En cours » d'instruction : {url}")
    return render(f"Compléments reçus pour le dossier {dossier_number}", body, links=[url])
