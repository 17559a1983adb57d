"""Calendar arithmetic for billing periods (UTC)."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta


def add_months(moment: datetime, months: int) -> datetime:
    """`months` calendar months later; the 31st becomes the month's last day (Jan 31 → Feb 28)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_end(start: datetime, period: str) -> datetime:
    """The end of a period that starts at `start`: a month, a year, or an hour."""
    if period == "month":
        return add_months(start, 1)
    if period == "year":
        return add_months(start, 12)
    if period == "hour":
        return start + timedelta(hours=1)
    raise ValueError(f"unknown period {period!r}")
