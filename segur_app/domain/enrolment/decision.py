"""Staff decisions on an enrolment request: « Prendre en charge », « Valider », « Rejeter ».

The same verbs and parameters as the funding requests' instruction
(:func:`segur_app.domain.funding.instruction.decide`): :func:`decide` with
``validate=True/False``, the agent as ``staff_id``, optimistic locking on
``Enrolment.version`` (a stale decision raises
:class:`~segur_app.domain.enrolment.rules.DecisionRefused` with
``MSG_DECISION_CONFLICT``). Validation opens the supplier's account
(identifiant ``prenom.nom``, temporary password valid 7 days, sent by email);
rejection emails its mandatory reason. History and emails join the caller's
transaction (no commit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from segur_app.domain import mail, mail_templates
from segur_app.domain.accounts.events import audit
from segur_app.domain.credentials import open_account, queue_credentials_email
from segur_app.domain.enrolment.rules import (
    AUDIT_ACCOUNT_CREATED,
    AUDIT_APPROVED,
    AUDIT_REJECTED,
    AUDIT_TAKEN,
    MAX_REASON_LENGTH,
    MSG_DECISION_CONFLICT,
    MSG_NOT_FOUND,
    MSG_REASON_REQUIRED,
    MSG_REASON_TOO_LONG,
    PENDING_STATUSES,
    DecisionRefused,
    record_history,
)
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import Enrolment, EnrolmentStatus, Role, utcnow


@dataclass(frozen=True)
class Decision:
    """What a decision did; ``identifiant`` and ``email`` of the account opened, if any."""

    number: str
    validated: bool
    identifiant: str = ""
    email: str = ""
    user_id: int | None = None

    @property
    def message(self) -> str:
        """What the agent is told."""
        if self.validated:
            return (f"La demande {self.number} a été validée : le compte « {self.identifiant} » "
                    f"a été créé et ses identifiants envoyés à {self.email}.")
        return f"La demande {self.number} a été rejetée ; le motif a été envoyé par courriel."


def _set_status(
    session: Session,
    *,
    enrolment_id: int,
    expected_version: int,
    new_status: EnrolmentStatus,
    staff_id: int,
    reason: str | None,
    now: datetime,
) -> tuple[Enrolment, str]:
    """Compare-and-set the status on ``version``; returns (enrolment, old status)."""
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise DecisionRefused(MSG_NOT_FOUND)
    old_status = enrolment.status
    table = Enrolment.__table__
    result = session.execute(
        sa.update(table)
        .where(
            table.c.id == enrolment_id,
            table.c.version == expected_version,
            table.c.status.in_(PENDING_STATUSES),
        )
        .values(
            status=new_status.value,
            status_changed_at=now,
            decided_by_id=staff_id,
            decision_reason=reason,
            version=table.c.version + 1,
        )
    )
    if result.rowcount != 1:
        raise DecisionRefused(MSG_DECISION_CONFLICT)
    session.refresh(enrolment)
    return enrolment, old_status


def take_in_charge(
    session: Session,
    *,
    enrolment_id: int,
    expected_version: int,
    staff_id: int,
    client_address: str | None = None,
    now: datetime | None = None,
) -> str:
    """« Prendre en charge »: a submitted request becomes « En cours » (caller commits)."""
    now = now or utcnow()
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.status != EnrolmentStatus.TO_REVIEW.value:
        raise DecisionRefused(MSG_DECISION_CONFLICT)
    enrolment, old_status = _set_status(
        session, enrolment_id=enrolment_id, expected_version=expected_version,
        new_status=EnrolmentStatus.IN_PROGRESS, staff_id=staff_id, reason=None, now=now,
    )
    record_history(session, enrolment, AUDIT_TAKEN, old_status=old_status,
                   actor_user_id=staff_id, client_address=client_address, now=now)
    return f"La demande {enrolment.number} est prise en charge."


def checked_reason(reason: str | None) -> str:
    """The rejection reason, stripped; refused when empty or too long."""
    reason = (reason or "").strip()
    if not reason:
        raise DecisionRefused(MSG_REASON_REQUIRED)
    if len(reason) > MAX_REASON_LENGTH:
        raise DecisionRefused(MSG_REASON_TOO_LONG)
    return reason


def decide(
    session: Session,
    *,
    enrolment_id: int,
    validate: bool,
    reason: str = "",
    staff_id: int,
    expected_version: int,
    login_url: str,
    assistance_url: str,
    client_address: str | None = None,
    now: datetime | None = None,
) -> Decision:
    """« Valider » (opens the account) or « Rejeter » (mandatory reason); caller commits.

    The account's temporary password exists only in the credentials email,
    whose stored body the mail service blanks once sent.
    """
    now = now or utcnow()
    reason = "" if validate else checked_reason(reason)
    enrolment, old_status = _set_status(
        session, enrolment_id=enrolment_id, expected_version=expected_version,
        new_status=EnrolmentStatus.VALIDATED if validate else EnrolmentStatus.REJECTED,
        staff_id=staff_id, reason=reason or None, now=now,
    )
    if not validate:
        record_history(session, enrolment, AUDIT_REJECTED, old_status=old_status,
                       actor_user_id=staff_id, client_address=client_address, now=now,
                       reason=reason)
        content = mail_templates.enrolment_decision(enrolment.number, False, reason,
                                                    assistance_url=assistance_url)
        mail.queue_email(
            session, template=TemplateName.ENROLMENT_DECISION, to=enrolment.contact_email,
            subject=content.subject, text=content.text, html=content.html,
            enrolment_id=enrolment.id,
        )
        session.flush()
        return Decision(number=enrolment.number, validated=False)
    account, password = open_account(
        session, first_name=enrolment.contact_first_name, last_name=enrolment.contact_last_name,
        email=enrolment.contact_email, role=Role.SUPPLIER, supplier_id=enrolment.supplier_id,
        now=now,
    )
    record_history(session, enrolment, AUDIT_APPROVED, old_status=old_status,
                   actor_user_id=staff_id, client_address=client_address, now=now)
    audit(session, AUDIT_ACCOUNT_CREATED, actor_user_id=staff_id,
          subject_user_id=account.id, client_address=client_address, now=now,
          identifiant=account.identifiant, enrolment=enrolment.number)
    content = mail_templates.enrolment_decision(enrolment.number, True,
                                                assistance_url=assistance_url)
    mail.queue_email(
        session, template=TemplateName.ENROLMENT_DECISION, to=account.email,
        subject=content.subject, text=content.text, html=content.html, user_id=account.id,
        enrolment_id=enrolment.id,
    )
    queue_credentials_email(session, account=account, password=password, login_url=login_url,
                            assistance_url=assistance_url, enrolment_id=enrolment.id)
    session.flush()
    return Decision(number=enrolment.number, validated=True, identifiant=account.identifiant,
                    email=account.email, user_id=account.id)
