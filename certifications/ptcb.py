"""The PTCB baseline: every technician must hold CPhT within a window after hire.

PRODUCT.md section 2: deadline = hire date + window (calendar months, clamped to the month's
end: 2025-05-31 + 9 months = 2026-02-28). Status: ``met`` (holds an unexpired, verified CPhT
or CPhT-Adv, its upgrade, issued on or before today), else ``overdue`` (today is past the deadline), else ``due_soon``
(deadline within 60 days), else ``on_track``.
"""

from __future__ import annotations

import datetime as dt

from django.db import models

from careerladder.core.dates import add_months

DUE_SOON_DAYS = 60


class PtcbStatus(models.TextChoices):
    MET = "met", "Met"
    ON_TRACK = "on_track", "On track"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"


def ptcb_deadline(*, hire_date: dt.date, window_months: int, extended_to: dt.date | None = None) -> dt.date:
    """The date by which CPhT must be held; an extension replaces it."""
    return extended_to or add_months(hire_date, window_months)


def ptcb_status(*, deadline: dt.date, holds_cpht: bool, today: dt.date) -> str:
    if holds_cpht:
        return PtcbStatus.MET
    if today > deadline:
        return PtcbStatus.OVERDUE
    if (deadline - today).days <= DUE_SOON_DAYS:
        return PtcbStatus.DUE_SOON
    return PtcbStatus.ON_TRACK


def days_words(days: int) -> str:
    """0 -> "today", 1 -> "tomorrow", 41 -> "in 41 days", -1 -> "1 day ago"."""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    return f"{-days} day{'s' if days != -1 else ''} ago"


def ptcb_words(*, deadline: dt.date, status: str, today: dt.date) -> str:
    """The PTCB standing in plain words: "PTCB due in 41 days", "PTCB overdue by 3 days"."""
    if status == PtcbStatus.MET:
        return "PTCB met"
    days = (deadline - today).days
    if days < 0:
        return f"PTCB overdue by {-days} day{'s' if days != -1 else ''}"
    return f"PTCB due {days_words(days)}"
