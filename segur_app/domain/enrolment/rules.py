"""What every part of the enrolment feature shares: statuses, messages, history.

The French messages are the ones the screens show; the audit actions name the
lines of a request's history (« Historique », ``AuditEvent.enrolment_id``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlmodel import Session

from segur_app.domain.models import AuditEvent, Enrolment, EnrolmentStatus
from segur_app.domain.refusals import Refused

AUDIT_SUBMISSION_ATTEMPT = "enrolment_submission_attempt"
AUDIT_SUBMISSION_THROTTLED = "enrolment_submission_throttled"
AUDIT_RIB_STAGED = "enrolment_rib_staged"
AUDIT_SUBMITTED = "enrolment_submitted"
AUDIT_APPROVED = "enrolment_approved"
AUDIT_REJECTED = "enrolment_rejected"
AUDIT_ACCOUNT_CREATED = "account_created"
AUDIT_TAKEN = "enrolment_taken_in_charge"

SUBMISSIONS_PER_ADDRESS = 10
RIB_UPLOADS_PER_ADDRESS = 30
ABUSE_WINDOW = timedelta(hours=1)
MIN_FILL_SECONDS = 3.0
# The public forms' anti-robot field (components.forms.anti_robot_field): a
# person never sees it, a robot that fills every input does.
HONEYPOT_NAME = "site_internet"
MAX_REASON_LENGTH = 2000
PENDING_STATUSES: tuple[str, ...] = (
    EnrolmentStatus.TO_REVIEW.value,
    EnrolmentStatus.IN_PROGRESS.value,
)
# What the supplier is shown (staff see EnrolmentStatus labels).
SUPPLIER_STATUS_LABELS: dict[str, str] = {
    EnrolmentStatus.TO_REVIEW.value: "En cours",
    EnrolmentStatus.IN_PROGRESS.value: "En cours",
    EnrolmentStatus.VALIDATED.value: EnrolmentStatus.VALIDATED.label,
    EnrolmentStatus.REJECTED.value: EnrolmentStatus.REJECTED.label,
}

MSG_ONE_ENROLMENT = (
    "Un fournisseur SAS ne peut faire qu'un seul enrôlement : une demande d'enrôlement "
    "existe déjà pour ce SIRET ou ce N° unique de référencement (ANS). Pour la suivre, "
    "connectez-vous à votre espace personnel (« Suivi des demandes d'enrôlement ») ou, "
    "si vous n'avez pas encore reçu vos identifiants, contactez l'assistance."
)
MSG_SIRET_TAKEN = "Une demande d'enrôlement existe déjà pour ce SIRET."
MSG_ANS_TAKEN = "Une demande d'enrôlement existe déjà pour ce N° unique de référencement (ANS)."
MSG_ANS_OTHER_SIRET = (
    "Ce N° unique de référencement (ANS) est déjà associé à un autre SIRET : "
    "contactez l'assistance."
)
MSG_SUBMISSION_FAILED = (
    "Votre demande n'a pas pu être enregistrée. Aucune donnée n'a été conservée : "
    "veuillez réessayer dans quelques instants."
)
MSG_AUTOMATED = (
    "Votre demande n'a pas pu être envoyée. Vérifiez le formulaire puis réessayez "
    "dans quelques instants."
)
MSG_THROTTLED = (
    "Trop de demandes ont été envoyées depuis votre poste. Veuillez réessayer dans "
    "une heure ou contacter l'assistance."
)
MSG_NOT_FOUND = "Cette demande d'enrôlement n'existe pas."
MSG_DECISION_CONFLICT = (
    "Cette demande d'enrôlement a été modifiée entre-temps (décision déjà prise par "
    "un autre agent ?). La liste a été actualisée : vérifiez la demande avant de décider."
)
MSG_REASON_REQUIRED = "Le motif du rejet est obligatoire."
MSG_REASON_TOO_LONG = f"Le motif du rejet ne doit pas dépasser {MAX_REASON_LENGTH} caractères."


class EnrolmentRefused(Refused):
    """The request cannot be stored; ``message`` (French) and per-field errors."""


class DecisionRefused(Refused):
    """A staff decision that cannot be applied; ``message`` is French."""


def record_history(
    session: Session,
    enrolment: Enrolment,
    action: str,
    *,
    old_status: str | None,
    actor_user_id: int | None,
    client_address: str | None,
    now: datetime,
    **details,
) -> None:
    """One line of the request's history (« Historique »), in the caller's transaction."""
    session.add(
        AuditEvent(
            action=action,
            enrolment_id=enrolment.id,
            actor_user_id=actor_user_id,
            client_address=client_address,
            occurred_at=now,
            old_status=old_status,
            new_status=enrolment.status,
            details=json.dumps(details, ensure_ascii=False) if details else None,
        )
    )
