"""Calendar arithmetic used by the domain rules (PRODUCT.md section 3)."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from careerladder.core.errors import ApplicationError


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months, clamped to the month's end: 2025-05-31 + 9 months = 2026-02-28."""
    return day + relativedelta(months=months)


def months_between(start: dt.date, end: dt.date) -> float:
    """Calendar months from ``start`` to ``end`` (2023-03-01 -> 2025-03-01 is 24), fractional
    for the remaining days (days left / days in the month that follows the last whole month)."""
    if end < start:
        return -months_between(end, start)
    whole = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, whole) > end:
        whole -= 1
    anchor = add_months(start, whole)
    following = add_months(start, whole + 1)
    span = (following - anchor).days
    return whole + ((end - anchor).days / span if span else 0.0)


def check_not_future(day: dt.date, *, field: str, today: dt.date | None = None) -> None:
    """Refuse a day after ``today`` (the local date): what has been done cannot be dated later."""
    if day > (today or timezone.localdate()):
        raise ApplicationError("The date cannot be in the future.", field=field)
