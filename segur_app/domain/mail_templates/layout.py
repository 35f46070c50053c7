"""The layout every automatic email shares: greeting, signature, footer, HTML alternative.

:func:`render` wraps a template's paragraphs; the HTML alternative is derived
from the very same paragraphs, HTML-escaped as a whole (so every inserted value
is escaped); only the URLs passed explicitly in ``links`` are turned into links.
Also the French date formats and the « Contacter l'assistance » paragraph.
"""

from __future__ import annotations

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


def assistance_link(url: str | None = None) -> str:
    """The link to « Contacter l'assistance » (default: this portal's page)."""
    return url or absolute_url(routes.ASSISTANCE)


def assistance_paragraph(url: str | None = None) -> str:
    """« Pour toute information complémentaire… » with the assistance link."""
    return (
        "Pour toute information complémentaire, vous pouvez contacter "
        f"l'assistance mail via le lien {assistance_link(url)}."
    )


def render(subject: str, body: Sequence[str], *, links: Iterable[str] = ()) -> MailContent:
    """Greeting, ``body`` paragraphs, signature and footer, in text and HTML."""
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
