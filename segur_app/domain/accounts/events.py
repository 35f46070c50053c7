"""The account audit trail: one ``AuditEvent`` row per security-relevant action."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session

from segur_app.domain.models import AuditEvent, utcnow

__all__ = ["audit"]


def audit(
    session: Session,
    action: str,
    *,
    actor_user_id: int | None = None,
    client_address: str | None = None,
    subject_user_id: int | None = None,
    now: datetime | None = None,
    **details,
) -> None:
    session.add(
        AuditEvent(
            action=action,
            actor_user_id=actor_user_id,
            subject_user_id=subject_user_id,
            client_address=client_address,
            occurred_at=now or utcnow(),
            details=json.dumps(details, ensure_ascii=False) if details else None,
        )
    )

