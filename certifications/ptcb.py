"""The PTCB baseline: every technician must hold CPhT within a window after hire.

PRODUCT.md section 2: deadline = hire date + window (calendar months, clamped to the month's
end: 2025-05-31 + 9 months = 2026-02-28). Status: ``met`` (holds an unexpired, verified CPhT
issued on or before today), else ``overdue`` (today is past the deadline), else ``due_soon``
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
