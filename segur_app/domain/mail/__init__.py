"""Automatic emails: a transactional outbox and its delivery worker.

How it works
------------
1. A business service calls :func:`queue_email` with *its own* session. The
   outbox row (:class:`~segur_app.domain.models.EmailMessage`) is only added
   to that session, so it is committed — or rolled back — together with the
   event that caused it (a deposit, a decision...). No email is ever sent for
   an event that did not happen, and none is lost for one that did.
2. :func:`deliver_due` (run periodically by :func:`run_mail_worker`, which the
   Reflex app registers as a lifespan task) picks the due ``pending`` rows and
   *claims* each one with a portable compare-and-set ``UPDATE`` that pushes
   ``next_attempt_at`` forward by a lease. The claim is committed before the
   message is handed to the transport, so several workers (threads, Reflex
   backend processes, hosts) never send the same message twice, and a worker
   that dies mid-send only delays the message until the lease expires.
3. On success the row becomes ``sent`` (``sent_at``, ``attempts + 1``); on
   failure it stays ``pending`` with an exponential back-off
   (``base * 2 ** (attempts - 1)``, capped) and, after ``mail_max_attempts``
   failures, becomes ``failed``. :func:`requeue_failed` puts failed rows back.
   Each final outcome is recorded as an ``AuditEvent`` (``email_sent`` /
   ``email_failed``) linked to the dossier or enrolment.

Delivery is *at least once*: if the process dies after the SMTP server
accepted a message but before the ``sent`` status is committed, the message is
sent again once its lease expires. Each message carries a stable
``Message-ID`` derived from its outbox row, so such a duplicate is recognisable.

Transports: :class:`SmtpTransport` (the ``emails`` package) when
``SEGUR_SMTP_HOST`` is set, else :class:`FileTransport`, which writes one
``.eml`` file per message under ``SEGUR_OUTBOX_DIR`` (the embedded default for
development and demos). This package does not import Reflex.

Modules: :mod:`.outbox` (queueing, requeueing), :mod:`.transports` (SMTP,
``.eml`` files), :mod:`.delivery` (claims, retries, audit), :mod:`.worker`
(the background loop). The public names are re-exported here: callers write
``from segur_app.domain import mail`` then ``mail.queue_email(...)``.
"""

from __future__ import annotations

from segur_app.domain.mail.delivery import (
    AUDIT_EMAIL_FAILED,
    AUDIT_EMAIL_SENT,
    REDACTED_BODY,
    DeliveryReport,
    deliver_due,
    retry_delay,
)
from segur_app.domain.mail.outbox import (
    InvalidEmailError,
    normalize_address,
    queue_email,
    requeue_failed,
    sent_emails_for_dossier,
)
from segur_app.domain.mail.transports import (
    FileTransport,
    MailDeliveryError,
    MailTransport,
    OutgoingMail,
    SmtpTransport,
    transport_from_settings,
)
from segur_app.domain.mail.worker import run_mail_worker

__all__ = [
    "AUDIT_EMAIL_FAILED",
    "AUDIT_EMAIL_SENT",
    "REDACTED_BODY",
    "DeliveryReport",
    "FileTransport",
    "InvalidEmailError",
    "MailDeliveryError",
    "MailTransport",
    "OutgoingMail",
    "SmtpTransport",
    "deliver_due",
    "normalize_address",
    "queue_email",
    "requeue_failed",
    "retry_delay",
    "run_mail_worker",
    "sent_emails_for_dossier",
    "transport_from_settings",
]
