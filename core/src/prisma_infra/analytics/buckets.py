"""Time buckets in Python, with the same boundaries as the SQL of every provider.

Buckets are computed on wall-clock times: UTC by default, or the local time of
the query's ``tz`` (PostgreSQL only). Weeks start on Monday (ISO 8601), as
PostgreSQL's ``date_trunc('week', ...)``. Internally a bucket is a naive
``datetime`` on that wall clock; `localize` attaches the zone at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prisma_infra.analytics.types import INTERVALS, AnalyticsQueryError, Interval

__all__ = [
    "MAX_BUCKETS",
    "add",
    "as_wall",
    "bucket_range",
    "check_interval",
    "localize",
    "parse_bucket",
    "parse_instant",
    "parse_since",
    "truncate",
    "zone",
]

#: Most buckets one series may span (a guard against ``interval("hour")`` over decades).
MAX_BUCKETS = 100_000

_SINCE = re.compile(r"^\s*(\d+)\s*(h|d|w|m|y|hours?|days?|weeks?|months?|years?)\s*$", re.IGNORECASE)


def check_interval(interval: str) -> Interval:
    if not isinstance(interval, str) or interval not in INTERVALS:
        shown = repr(interval) if isinstance(interval, str) and interval.isidentifier() else type(interval).__name__
        raise AnalyticsQueryError(f"Unknown interval {shown}: use one of {', '.join(INTERVALS)}")
    return interval


def zone(name: str | None) -> tzinfo:
    """The zone called ``name`` (IANA), UTC for ``None``."""
    if name is None or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise AnalyticsQueryError(f"Unknown time zone {name!r} (use an IANA name such as 'Europe/Paris')") from None


def parse_instant(value: datetime | date | str) -> datetime:
    """An aware instant: naive datetimes and dates are UTC; strings are ISO 8601."""
    if not isinstance(value, str | date):
        raise AnalyticsQueryError(f"A date or time is a datetime, a date or an ISO string, not {type(value).__name__}")
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise AnalyticsQueryError(f"Not an ISO 8601 date or time (a str of length {len(text)})") from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``"30d"``, ``"12h"``, ``"8w"``, ``"6m"``, ``"1y"`` before ``now``; or an ISO date."""
    match = _SINCE.match(value)
    if match is None:
        return parse_instant(value)
    count, unit = int(match[1]), match[2].lower()[0]
    now = now or datetime.now(UTC)
    try:
        return _before(now, count, unit)
    except (OverflowError, ValueError):  # before year 1: timedelta/datetime cannot hold it
        raise AnalyticsQueryError(f"since({count}{unit}) reaches before year 1: use a shorter duration") from None


def _before(now: datetime, count: int, unit: str) -> datetime:
    if unit == "h":
        return now - timedelta(hours=count)
    if unit == "d":
        return now - timedelta(days=count)
    if unit == "w":
        return now - timedelta(weeks=count)
    if unit == "m":
        return add(now.replace(tzinfo=None), "month", -count).replace(tzinfo=now.tzinfo)
    return add(now.replace(tzinfo=None), "year", -count).replace(tzinfo=now.tzinfo)


def as_wall(instant: datetime, tz: tzinfo) -> datetime:
    """The naive wall-clock time of ``instant`` in ``tz``."""
    return instant.astimezone(tz).replace(tzinfo=None)


def localize(wall: datetime, tz: tzinfo) -> datetime:
    """Attach ``tz`` to a naive wall-clock time (the first of two ambiguous times)."""
    return wall.replace(tzinfo=tz)


def truncate(wall: datetime, interval: Interval) -> datetime:
    """The start of the bucket holding ``wall`` (naive)."""
    if interval == "hour":
        return wall.replace(minute=0, second=0, microsecond=0)
    day = wall.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    if interval == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def add(wall: datetime, interval: Interval, count: int = 1) -> datetime:
    """``wall`` moved by ``count`` intervals (months keep the day, clamped to the month's end)."""
    if interval == "hour":
        return wall + timedelta(hours=count)
    if interval == "day":
        return wall + timedelta(days=count)
    if interval == "week":
        return wall + timedelta(weeks=count)
    months = {"month": 1, "quarter": 3, "year": 12}[interval] * count
    index = wall.year * 12 + wall.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return wall.replace(year=year, month=month, day=min(wall.day, last))


def bucket_range(first: datetime, stop: datetime, interval: Interval) -> Iterator[datetime]:
    """Bucket starts from ``first`` (a bucket start) while before ``stop``; at most `MAX_BUCKETS`."""
    current = first
    for _ in range(MAX_BUCKETS + 1):
        if current >= stop:
            return
        yield current
        current = add(current, interval)
    raise AnalyticsQueryError(
        f"The date range spans more than {MAX_BUCKETS} {interval} buckets: use a wider interval or a shorter range"
    )


def parse_bucket(value: object) -> datetime:
    """A bucket start as the database returned it (datetime, date or text), as a naive wall time."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    raise AnalyticsQueryError(f"Unexpected bucket value from the database: a {type(value).__name__}")
