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

Modules: :mod:`.names` (``TemplateName``, ``SENSITIVE_TEMPLATES``),
:mod:`.layout` (``render``, ``MailContent``, dates, the assistance paragraph),
one module per feature: :mod:`.funding`, :mod:`.enrolment`, :mod:`.accounts`,
:mod:`.assistance` (the « Demande de compléments » texts are in
``domain/correction_mails.py``). A capability package: callers write
``from segur_app.domain import mail_templates`` then
``mail_templates.funding_decision(...)``; the public names are re-exported here.
"""

from __future__ import annotations

from segur_app.domain.mail_templates.accounts import (
    account_credentials,
    email_change_confirmation,
    email_change_notice,
    identifiant_reminder,
    password_changed,
    password_reset,
)
from segur_app.domain.mail_templates.assistance import (
    assistance_acknowledgement,
    assistance_answer,
)
from segur_app.domain.mail_templates.enrolment import (
    enrolment_acknowledgement,
    enrolment_decision,
)
from segur_app.domain.mail_templates.funding import (
    advance_deposit_confirmation,
    balance_deposit_confirmation,
    deposit_confirmation,
    funding_decision,
)
from segur_app.domain.mail_templates.layout import (
    CLOSING,
    FOOTER,
    GREETING,
    PROGRAMME,
    SIGNATURE,
    MailContent,
    assistance_link,
    assistance_paragraph,
    format_date_fr,
    format_datetime_fr,
    render,
)
from segur_app.domain.mail_templates.names import SENSITIVE_TEMPLATES, TemplateName

__all__ = [
    "CLOSING",
    "FOOTER",
    "GREETING",
    "PROGRAMME",
    "SENSITIVE_TEMPLATES",
    "SIGNATURE",
    "MailContent",
    "TemplateName",
    "account_credentials",
    "advance_deposit_confirmation",
    "assistance_acknowledgement",
    "assistance_answer",
    "assistance_link",
    "assistance_paragraph",
    "balance_deposit_confirmation",
    "deposit_confirmation",
    "email_change_confirmation",
    "email_change_notice",
    "enrolment_acknowledgement",
    "enrolment_decision",
    "format_date_fr",
    "format_datetime_fr",
    "funding_decision",
    "identifiant_reminder",
    "password_changed",
    "password_reset",
    "render",
]
