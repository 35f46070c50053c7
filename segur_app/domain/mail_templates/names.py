"""The identifiers of the automatic emails, stored in ``EmailMessage.template``."""

from __future__ import annotations

import enum


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
    EMAIL_CHANGE_CONFIRMATION = "email_change_confirmation"
    EMAIL_CHANGE_NOTICE = "email_change_notice"
    ASSISTANCE_ACKNOWLEDGEMENT = "assistance_acknowledgement"
    ASSISTANCE_ANSWER = "assistance_answer"
    # « Demande de compléments » (texts in correction_mails.py)
    CORRECTION_REQUEST = "correction_request"
    CORRECTION_REMINDER = "correction_reminder"
    CORRECTIONS_RECEIVED = "corrections_received"
    CORRECTIONS_ACKNOWLEDGEMENT = "corrections_acknowledgement"


#: Templates whose body carries a secret (temporary password, reset link): the
#: mail service blanks their stored body once the message has been sent.
SENSITIVE_TEMPLATES: frozenset[str] = frozenset(
    {TemplateName.ACCOUNT_CREDENTIALS, TemplateName.PASSWORD_RESET}
)
