"""The one shape of a refusal a screen shows: a French ``message`` and per-field errors.

A service that cannot do what it was asked raises a subclass of :class:`Refused`
(``TicketRefused``, ``EnrolmentRefused``, ``DecisionRefused``, ``DepositRefused``…);
the state shows ``message`` in the page's alert and ``field_errors`` next to their
fields.
"""

from __future__ import annotations


class Refused(Exception):
    """The action cannot be done; ``message`` is for the user (French)."""

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
