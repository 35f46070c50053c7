"""How much one websocket connection may send and log: the limits of
``api/websocket_guard.py`` (token bucket of events, budgets of log lines).

Reflex-free and clock-injected, so the limits are tested without a socket.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from segur_app.core.config import get_settings

# The websocket guard's logger: these lines are about its connections.
logger = logging.getLogger("segur_app.websocket")

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class EventLimits:
    rate: float = 30.0
    burst: int = 60
    max_malformed: int = 20
    log_lines_per_connection: int = 5
    log_lines_total: int = 100

    @classmethod
    def from_settings(cls) -> "EventLimits":
        s = get_settings()
        return cls(rate=s.ws_event_rate, burst=s.ws_event_burst, max_malformed=s.ws_max_malformed_events,
                   log_lines_per_connection=s.ws_log_lines_per_connection,
                   log_lines_total=s.ws_log_lines_per_minute_total)


class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` stored."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self.rate, self.capacity = rate, float(capacity)
        self.tokens, self.stamp = float(capacity), now

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class LogBudget:
    """At most ``limit`` lines per window for a key, then one « suppressed » line."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS) -> None:
        self.limit, self.window = limit, window
        self.start, self.count = float("-inf"), 0

    def allow(self, now: float) -> str:
        """``"log"``, ``"notice"`` (the first refused line of the window) or ``"drop"``."""
        if now - self.start >= self.window:
            self.start, self.count = now, 0
        self.count += 1
        if self.count <= self.limit:
            return "log"
        return "notice" if self.count == self.limit + 1 else "drop"


class GuardedLog:
    """Short log lines limited per key (connection or tab) and in total."""

    def __init__(self, per_key: int, total: int, clock=time.monotonic) -> None:
        self.per_key, self.clock = per_key, clock
        self.total = LogBudget(total)
        self.keys: dict[str, LogBudget] = {}

    def note(self, key: str, text: str) -> None:
        now = self.clock()
        verdict = self.keys.setdefault(key, LogBudget(self.per_key)).allow(now)
        if verdict == "drop":
            return
        overall = self.total.allow(now)
        if overall == "drop":
            return
        if overall == "notice":
            logger.warning("more than %d websocket log lines this minute: further ones suppressed",
                           self.total.limit)
        elif verdict == "notice":
            logger.warning("%s: further messages suppressed for %.0f s", key, self.total.window)
        else:
            logger.warning("%s: %s", key, text)

    def forget(self, key: str) -> None:
        self.keys.pop(key, None)
