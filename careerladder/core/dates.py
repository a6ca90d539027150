"""Calendar arithmetic used by the domain rules (PRODUCT.md section 3)."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months, clamped to the month's end: 2025-05-31 + 9 months = 2026-02-28."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


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
