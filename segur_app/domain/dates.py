"""Dates, amounts and IBANs as French users read them: metropolitan time,
dd/mm/yyyy, « 30 000 € », « FR76 3000 … ».

Timestamps are stored in UTC; SQLite hands them back naive, so a naive value
is taken as UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def as_utc(value: datetime | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite hands back naive ones)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def to_paris(value: datetime) -> datetime:
    return as_utc(value).astimezone(PARIS)


def fr_date(value: datetime) -> str:
    """``23/05/2023``."""
    day = to_paris(value)
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"  # strftime is 3× slower (CSV exports)


def fr_datetime(value: datetime) -> str:
    """``23/05/2023 à 14:05``."""
    return to_paris(value).strftime("%d/%m/%Y à %H:%M")


def day_start_utc(day: date) -> datetime:
    """Midnight (Paris) of ``day`` as a UTC instant: the bound of a date filter."""
    return datetime.combine(day, time.min, tzinfo=PARIS).astimezone(timezone.utc)


def fr_amount(euros: int) -> str:
    """``30 000 €``: thin no-break spaces between thousands, a no-break space
    before the euro sign (French typography). CSV exports keep raw numbers."""
    return f"{int(euros):,}".replace(",", "\u202f") + "\u00a0€"


def group_iban(iban: str) -> str:
    """``FR76 3000 6000 0112 3456 7890 189``: groups of four, as on a RIB."""
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
